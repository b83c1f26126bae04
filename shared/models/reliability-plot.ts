import type { ReliabilityBin } from "./eval-report.js";
import { createRaster, drawLine, encodePng, fillRect, type Rgb } from "./png.js";

/**
 * The reliability diagram as a PNG (`mesh eval --plot`): per confidence bin, a blue bar up to the accuracy of its
 * rows and a red tick at their mean confidence; the grey diagonal is perfect calibration, so a bar under its tick
 * is overconfidence. Under the axis, a grey strip per bin shows how many rows it holds (scaled to the fullest).
 * Gridlines every 0.1. No text: the terminal report beside it carries the numbers.
 */
export const plotSize = { width: 480, height: 400 } as const;

const white: Rgb = [255, 255, 255];
const grid: Rgb = [230, 230, 230];
const axis: Rgb = [40, 40, 40];
const diagonal: Rgb = [150, 150, 150];
const bar: Rgb = [70, 120, 200];
const tick: Rgb = [210, 50, 40];
const count: Rgb = [170, 170, 170];

export function reliabilityPng(bins: readonly ReliabilityBin[]): Buffer {
  const { width, height } = plotSize;
  const img = createRaster(width, height, white);
  const left = 40;
  const right = width - 20;
  const top = 20;
  const bottom = height - 80; // the plot's y = 0 line; the row-count strip sits under it
  const x = (c: number) => left + c * (right - left);
  const y = (a: number) => bottom - a * (bottom - top);
  for (let i = 0; i <= 10; i++) {
    drawLine(img, x(i / 10), top, x(i / 10), bottom, grid);
    drawLine(img, left, y(i / 10), right, y(i / 10), grid);
  }
  const fullest = Math.max(1, ...bins.map((b) => b.rows));
  for (const b of bins) {
    const gap = Math.max(1, (x(b.to) - x(b.from)) * 0.1);
    if (b.rows) {
      fillRect(img, x(b.from) + gap, y(b.accuracy), x(b.to) - gap, bottom, bar);
      drawLine(img, x(b.from) + gap, y(b.meanConfidence), x(b.to) - gap, y(b.meanConfidence), tick, 3);
    }
    fillRect(img, x(b.from) + gap, bottom + 60 - (50 * b.rows) / fullest, x(b.to) - gap, bottom + 60, count);
  }
  drawLine(img, x(0), y(0), x(1), y(1), diagonal, 2);
  drawLine(img, left, top, left, bottom, axis, 2);
  drawLine(img, left, bottom, right, bottom, axis, 2);
  return encodePng(img);
}
