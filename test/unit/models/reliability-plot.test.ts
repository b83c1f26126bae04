import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createRaster, encodePng, fillRect } from "../../../shared/models/png.js";
import { plotSize, reliabilityPng } from "../../../shared/models/reliability-plot.js";
import type { ReliabilityBin } from "../../../shared/models/eval-report.js";
import { decodePng } from "./png-decode.js";

test("any raster encodes to a PNG that a strict reader decodes back to the same pixels", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0 }), (width, height, seed) => {
      const r = createRaster(width, height, [seed & 255, (seed >> 8) & 255, (seed >> 16) & 255]);
      fillRect(r, seed % width, seed % height, width, height, [1, 2, 3]);
      const decoded = decodePng(encodePng(r));
      assert.equal(decoded.width, width);
      assert.equal(decoded.height, height);
      assert.deepEqual(decoded.rgb, r.rgb);
    }),
  );
});

test("a raster of no pixels is refused with its size named", () => {
  assert.throws(() => createRaster(0, 10, [0, 0, 0]), /width and height must be positive integers \(got 0 × 10\)/);
});

const bins = (fill: (i: number) => Partial<ReliabilityBin>): ReliabilityBin[] =>
  Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, rows: 0, meanConfidence: 0, accuracy: 0, ...fill(i) }));
const pixel = (img: { width: number; rgb: Uint8Array }, x: number, y: number) => [...img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
const blue = [70, 120, 200];

test("the reliability diagram is a PNG of the plot's size whose bars stand as high as each bin's accuracy", () => {
  // Only the top bin has rows, all right: its bar reaches the top; the bin under it is empty and draws no bar.
  const img = decodePng(reliabilityPng(bins((i) => (i === 9 ? { rows: 50, meanConfidence: 0.95, accuracy: 1 } : {}))));
  assert.equal(img.width, plotSize.width);
  assert.equal(img.height, plotSize.height);
  const plotTop = 20;
  const plotBottom = plotSize.height - 80;
  const binCentre = (i: number) => Math.round(40 + ((i + 0.5) / 10) * (plotSize.width - 60));
  assert.deepEqual(pixel(img, binCentre(9), plotTop + 5), blue, "a bin all right has its bar at the top");
  assert.notDeepEqual(pixel(img, binCentre(8), plotBottom - 5), blue, "an empty bin has no bar");
  const half = decodePng(reliabilityPng(bins((i) => (i === 5 ? { rows: 10, meanConfidence: 0.55, accuracy: 0.5 } : {}))));
  const mid = Math.round((plotTop + plotBottom) / 2);
  assert.deepEqual(pixel(half, binCentre(5), mid + 10), blue, "under half height: inside the bar");
  assert.notDeepEqual(pixel(half, binCentre(5), mid - 30), blue, "well above half height: outside the bar");
});
