import { GenerationError } from './generation-error.js';

/**
 * Checks that `scores` holds `rows` equal rows and returns the row width.
 * Shared by every row-wise helper so their errors read the same.
 */
export function rowWidth(scores: Float32Array, rows: number, field = 'scores'): number {
  if (!Number.isInteger(rows) || rows < 1) {
    throw new GenerationError('rows', `expected a positive integer, got ${rows}`);
  }
  const width = scores.length / rows;
  if (!Number.isInteger(width) || width < 1) {
    throw new GenerationError(field, `length ${scores.length} is not ${rows} non-empty rows`);
  }
  return width;
}

/**
 * Row-wise softmax of a `[rows, width]` float32 matrix, max-subtracted and rounded to float32 at each
 * stage like torch's CPU kernel, so `-Infinity` entries get probability exactly 0. A row that is
 * entirely `-Infinity` yields NaN, as in torch.
 *
 * @example softmaxRows(new Float32Array([0, Math.log(3)]), 1) // ≈ [0.25, 0.75]
 */
export function softmaxRows(scores: Float32Array, rows: number): Float32Array {
  const width = rowWidth(scores, rows);
  const out = new Float32Array(scores.length);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < width; i++) max = Math.max(max, scores[base + i] as number);
    let sum = 0;
    for (let i = 0; i < width; i++) {
      const e = Math.fround(Math.exp(Math.fround((scores[base + i] as number) - max)));
      out[base + i] = e;
      sum += e;
    }
    const total = Math.fround(sum);
    for (let i = 0; i < width; i++) out[base + i] = (out[base + i] as number) / total;
  }
  return out;
}
