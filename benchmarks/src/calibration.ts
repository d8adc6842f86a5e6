/**
 * @file The calibration kernel: a fixed plain-JavaScript loop whose CPU time tracks how fast
 * this machine runs code right now. It is arithmetic on two arrays that stay in cache: a version
 * that also streamed 16 MB from memory varied up to 3× between bursts here, while this one did not
 * move by 1%.
 */
const SIZE = 1 << 14;
const ROUNDS = 64;
const a = Float32Array.from({ length: SIZE }, (_, i) => Math.sin(i) * 0.5);
const b = Float32Array.from({ length: SIZE }, (_, i) => Math.cos(i * 0.7) * 0.5);
/** Written by every call, so the optimizer cannot drop the kernel's work. */
export let calibrationSink = 0;

/** About a million dependent multiply-adds over two 64 KiB arrays (~1.6 ms here). */
export function calibrationKernel(): void {
  let s = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < SIZE; i++) s = s * 0.999 + a[i]! * b[(i + r) & (SIZE - 1)]!;
  }
  calibrationSink += s;
}
