import { GenerationError } from './generation-error.js';
import type { Rng } from './rng.js';
import { rowWidth } from './softmax.js';

/**
 * Greedy decoding: index of the largest score in each row, ties going to the lowest index (like
 * `torch.argmax`).
 */
export function argmaxRows(scores: Float32Array, rows: number): number[] {
  const width = rowWidth(scores, rows);
  const result = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let best = 0;
    let bestValue = scores[base] as number;
    for (let i = 1; i < width; i++) {
      const value = scores[base + i] as number;
      if (value > bestValue) {
        best = i;
        bestValue = value;
      }
    }
    result[r] = best;
  }
  return result;
}

/**
 * Draws one index from a row of probabilities by inverse CDF, consuming exactly one `rng.nextFloat()`.
 *
 * Procedure (so other runtimes can reproduce a sample bit for bit): `u = rng.nextFloat()`;
 * `total` = float64 sum of the row in index order; walk the indices in ascending order, adding each
 * positive probability to a float64 running sum `c`, and return the first index with `u * total < c`.
 * If rounding leaves no such index, return the last index with positive probability. Zero-probability
 * entries (filtered tokens) are never returned; a row with no positive entry (NaN or all `-Infinity`
 * logits) is an error.
 */
export function sampleIndex(
  probs: ArrayLike<number>,
  rng: Rng,
  offset = 0,
  width = probs.length - offset,
): number {
  const u = rng.nextFloat();
  let total = 0;
  for (let i = 0; i < width; i++) total += probs[offset + i] as number;
  const target = u * total;
  let cumulative = 0;
  let lastPositive = -1;
  for (let i = 0; i < width; i++) {
    const p = probs[offset + i] as number;
    if (!(p > 0)) continue;
    cumulative += p;
    lastPositive = i;
    if (target < cumulative) return i;
  }
  if (lastPositive === -1) {
    throw new GenerationError(
      'probs',
      `row at offset ${offset} has no positive probability (NaN or -Infinity logits?)`,
    );
  }
  return lastPositive;
}

/** Samples one index per row of a `[rows, width]` probability matrix, row `r` drawing from `rngs[r]`. */
export function sampleRows(probs: Float32Array, rows: number, rngs: readonly Rng[]): number[] {
  const width = rowWidth(probs, rows, 'probs');
  if (rngs.length < rows)
    throw new GenerationError('rngs', `expected ${rows} generators, got ${rngs.length}`);
  const result = new Array<number>(rows);
  for (let r = 0; r < rows; r++) result[r] = sampleIndex(probs, rngs[r] as Rng, r * width, width);
  return result;
}
