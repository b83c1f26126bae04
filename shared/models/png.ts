import { crc32, deflateSync } from "node:zlib";

/**
 * An RGB raster and its PNG encoding (8-bit truecolour, no filtering, one IDAT chunk). Hand-written over
 * node:zlib's deflate and crc32 rather than a dependency: writing a PNG is a signature, three chunks and a
 * checksum each, and nothing here ever needs to read one.
 */
export interface Raster {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
}

export type Rgb = readonly [number, number, number];

export function createRaster(width: number, height: number, background: Rgb): Raster {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`raster: width and height must be positive integers (got ${width} × ${height})`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i += 3) rgb.set(background, i);
  return { width, height, rgb };
}

/** Fills the rectangle [x0, x1) × [y0, y1), clipped to the raster. */
export function fillRect(r: Raster, x0: number, y0: number, x1: number, y1: number, colour: Rgb): void {
  const xa = Math.max(0, Math.round(Math.min(x0, x1)));
  const xb = Math.min(r.width, Math.round(Math.max(x0, x1)));
  const ya = Math.max(0, Math.round(Math.min(y0, y1)));
  const yb = Math.min(r.height, Math.round(Math.max(y0, y1)));
  for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) r.rgb.set(colour, (y * r.width + x) * 3);
}

/** A line `thickness` pixels wide from (x0, y0) to (x1, y1), stamped at each step along its longer axis. */
export function drawLine(r: Raster, x0: number, y0: number, x1: number, y1: number, colour: Rgb, thickness = 1): void {
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
  const half = thickness / 2;
  for (let s = 0; s <= steps; s++) {
    const x = x0 + ((x1 - x0) * s) / steps;
    const y = y0 + ((y1 - y0) * s) / steps;
    fillRect(r, x - half, y - half, x + half, y + half, colour);
  }
}

const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function encodePng(r: Raster): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(r.width, 0);
  header.writeUInt32BE(r.height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
  const stride = r.width * 3;
  const scanlines = Buffer.alloc((stride + 1) * r.height);
  for (let y = 0; y < r.height; y++) scanlines.set(r.rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter byte 0: none
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(scanlines, { level: 9 })), chunk("IEND", new Uint8Array(0))]);
}
