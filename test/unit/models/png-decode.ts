import { crc32, inflateSync } from "node:zlib";

/**
 * A strict reader for the PNGs the mesh writes (8-bit RGB, filter 0), written from the PNG spec rather than from
 * png.ts, so a test that passes through it proves the file is one a viewer would open: signature, chunk order,
 * every CRC, IHDR fields and the image data's exact size.
 */
export function decodePng(file: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const buf = Buffer.from(file);
  if (!buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error("not a PNG signature");
  let at = 8;
  const types: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (buf.readUInt32BE(at + 8 + length) !== crc32(buf.subarray(at + 4, at + 8 + length))) throw new Error(`${type}: bad CRC`);
    types.push(type);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if ([...data.subarray(8)].join() !== "8,2,0,0,0") throw new Error(`IHDR: not 8-bit RGB: ${[...data.subarray(8)]}`);
    }
    if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  if (types[0] !== "IHDR" || types.at(-1) !== "IEND" || !idat.length) throw new Error(`chunk order: ${types.join(",")}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  if (raw.length !== height * (stride + 1)) throw new Error(`IDAT: ${raw.length} bytes for ${width} × ${height}`);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new Error(`row ${y}: filter ${raw[y * (stride + 1)]}`);
    rgb.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, rgb };
}
