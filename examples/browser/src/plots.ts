/**
 * @file Canvas drawings: the decision boundary with the training points on top, and the loss curve.
 */
import type { Spirals } from '../../spirals.ts';

/** Half the side of the square of the plane that is drawn (the spirals reach radius ~1). */
export const EXTENT = 1.25;
const CLASS_RGB = [
  [37, 99, 235],
  [234, 88, 12],
] as const;

/** Paints the class-1 probabilities of an n×n grid (from `boundary`) and the points over them. */
export function drawBoundary(canvas: HTMLCanvasElement, probs: Float32Array, n: number, data: Spirals): void {
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(n, n);
  probs.forEach((p, i) => {
    for (let c = 0; c < 3; c++)
      image.data[4 * i + c] = 255 - 0.35 * ((1 - p) * (255 - CLASS_RGB[0][c]) + p * (255 - CLASS_RGB[1][c]));
    image.data[4 * i + 3] = 255;
  });
  // Paint the small grid, then scale it up smoothly onto the canvas.
  const grid = new OffscreenCanvas(n, n);
  grid.getContext('2d')!.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(grid, 0, 0, canvas.width, canvas.height);
  const points = data.x.dataSync();
  const labels = data.y.dataSync();
  const scale = canvas.width / (2 * EXTENT);
  for (let i = 0; i < labels.length; i++) {
    const [r, g, b] = CLASS_RGB[labels[i]!]!;
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.beginPath();
    ctx.arc((points[2 * i]! + EXTENT) * scale, (EXTENT - points[2 * i + 1]!) * scale, 3, 0, 2 * Math.PI);
    ctx.fill();
  }
}

/** Draws the loss per step, log scale, against the full run's length. */
export function drawLossCurve(canvas: HTMLCanvasElement, losses: readonly number[], totalSteps: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.strokeStyle = '#d4d4d8';
  ctx.strokeRect(0.5, 0.5, width - 1, height - 1);
  if (losses.length === 0) return;
  const logs = losses.map((l) => Math.log10(Math.max(l, 1e-6)));
  const top = Math.max(...logs);
  const bottom = Math.min(...logs, top - 1);
  ctx.strokeStyle = '#7c3aed';
  ctx.lineWidth = 2;
  ctx.beginPath();
  logs.forEach((v, i) => {
    const px = 4 + ((width - 8) * i) / Math.max(1, totalSteps - 1);
    const py = 4 + ((height - 8) * (top - v)) / (top - bottom);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
}
