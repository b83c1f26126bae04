/**
 * The nkey text form (as nats-server and nkeys.js write it): base32 (RFC 4648, no padding) of a prefix, the raw
 * 32 key bytes and a CRC16/XMODEM of both, little-endian. Only user keys are handled: every identity on the mesh
 * is a user nkey (seed "SU...", public key "U...").
 */

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const alphabetIndex = new Map([...alphabet].map((c, i) => [c, i]));

/** Prefix bytes: a seed's first byte is kind | role >> 5, its second (role & 31) << 3, so the text reads "SU". */
const USER = 20 << 3;
const SEED = 18 << 3;
const seedPrefix = [SEED | (USER >> 5), (USER & 31) << 3] as const;

const crcTable = Uint16Array.from({ length: 256 }, (_, n) => {
  let c = n << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
  return c & 0xffff;
});

export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ crcTable[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}

function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    const v = alphabetIndex.get(c);
    if (v === undefined) throw new RangeError(`nkey: "${c}" is not a base32 character`);
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // Leftover bits must be zero, or two texts would name the same key (and a typo there would go unnoticed).
  if (value & ((1 << bits) - 1)) throw new RangeError("nkey: not a canonical base32 text");
  return Uint8Array.from(out);
}

function encode(prefix: readonly number[], key: Uint8Array): string {
  const raw = new Uint8Array(prefix.length + key.length + 2);
  raw.set(prefix);
  raw.set(key, prefix.length);
  const crc = crc16(raw.subarray(0, prefix.length + key.length));
  raw[raw.length - 2] = crc & 0xff;
  raw[raw.length - 1] = crc >> 8;
  return base32Encode(raw);
}

function decode(prefix: readonly number[], text: string, what: string): Uint8Array {
  const raw = base32Decode(text.trim());
  if (raw.length !== prefix.length + 34) throw new RangeError(`${what}: wrong length`);
  if (prefix.some((p, i) => raw[i] !== p)) throw new RangeError(`${what}: not a user key (it must start with ${what === "seed" ? "SU" : "U"})`);
  const body = raw.subarray(0, raw.length - 2);
  if (crc16(body) !== (raw[raw.length - 2]! | (raw[raw.length - 1]! << 8))) throw new RangeError(`${what}: checksum does not match (mistyped or truncated)`);
  return body.slice(prefix.length);
}

/** The 32 raw ed25519 seed bytes of a user seed ("SU..."). */
export const decodeUserSeed = (seed: string): Uint8Array => decode(seedPrefix, seed, "seed");
/** The 32 raw ed25519 public key bytes of a public user key ("U..."). */
export const decodeUserPublicKey = (publicKey: string): Uint8Array => decode([USER], publicKey, "public key");
export const encodeUserSeed = (raw: Uint8Array): string => encode(seedPrefix, raw);
export const encodeUserPublicKey = (raw: Uint8Array): string => encode([USER], raw);
