import { GenerationError } from './generation-error.js';
import { rowWidth, softmaxRows } from './softmax.js';

/**
 * Sampling filters with the semantics of Hugging Face transformers 4.31 (`TemperatureLogitsWarper`,
 * `TopKLogitsWarper`, `TopPLogitsWarper`). Each takes a row-major `[rows, vocab]` float32 matrix of
 * next-token scores and returns a new matrix; the input is never modified. Removed tokens become
 * `-Infinity`, so `softmaxRows` gives them probability 0.
 */

/** Options for {@link applyWarpers}; `undefined`/`null` and the neutral values switch a filter off. */
export interface WarperOptions {
  /** Divides the scores; `1` (or unset) is a no-op. Must be > 0. */
  temperature?: number | null;
  /** Keep the `topK` highest scores; `0` (or unset) is a no-op. */
  topK?: number | null;
  /** Keep the smallest set of top tokens whose probability reaches `topP`; `1` (or unset) is a no-op. */
  topP?: number | null;
  /** Filters never remove the best `minTokensToKeep` tokens (HF default 1). */
  minTokensToKeep?: number;
}

function checkTemperature(t: number): void {
  if (!(Number.isFinite(t) && t > 0)) {
    throw new GenerationError('temperature', `expected a finite number > 0, got ${t}`);
  }
}

function checkTopK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new GenerationError('topK', `expected an integer >= 1, got ${k}`);
}

function checkTopP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new GenerationError('topP', `expected a number in [0, 1], got ${p}`);
}

function checkMinKeep(m: number): void {
  if (!Number.isInteger(m) || m < 1) {
    throw new GenerationError('minTokensToKeep', `expected an integer >= 1, got ${m}`);
  }
}

/**
 * `scores / t` (HF `TemperatureLogitsWarper`). The divisor is rounded to float32 first, because torch
 * casts the Python scalar to the tensor's dtype.
 */
export function temperatureWarp(scores: Float32Array, rows: number, t: number): Float32Array {
  rowWidth(scores, rows);
  checkTemperature(t);
  const t32 = Math.fround(t);
  const out = new Float32Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = (scores[i] as number) / t32;
  return out;
}

/**
 * HF `TopKLogitsWarper`: every score strictly below the k-th largest of its row becomes `-Infinity`,
 * so ties at the k-th value are all kept. `k = min(max(topK, minTokensToKeep), vocab)`.
 */
export function topKWarp(
  scores: Float32Array,
  rows: number,
  topK: number,
  minTokensToKeep = 1,
): Float32Array {
  const width = rowWidth(scores, rows);
  checkTopK(topK);
  checkMinKeep(minTokensToKeep);
  const k = Math.min(Math.max(topK, minTokensToKeep), width);
  const out = new Float32Array(scores);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * width, (r + 1) * width);
    const sorted = Float32Array.from(row).sort();
    const threshold = sorted[width - k] as number;
    for (let i = 0; i < width; i++) if ((row[i] as number) < threshold) row[i] = Number.NEGATIVE_INFINITY;
  }
  return out;
}

/**
 * HF `TopPLogitsWarper` (nucleus filtering): sort each row ascending, take the cumulative softmax, and
 * remove every token whose cumulative probability is `<= 1 - topP`, except the `minTokensToKeep`
 * largest. The threshold `1 - topP` is computed in float64 and then rounded to float32, and the
 * cumulative sum is accumulated in float64 and rounded per element, as torch does on CPU. Equal scores
 * are ordered by index (torch's sort order for ties is unspecified).
 */
export function topPWarp(
  scores: Float32Array,
  rows: number,
  topP: number,
  minTokensToKeep = 1,
): Float32Array {
  const width = rowWidth(scores, rows);
  checkTopP(topP);
  checkMinKeep(minTokensToKeep);
  const threshold = Math.fround(1 - topP);
  const probs = softmaxRows(scores, rows);
  const out = new Float32Array(scores);
  const order = new Array<number>(width);
  const removable = Math.max(width - minTokensToKeep, 0);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let i = 0; i < width; i++) order[i] = i;
    order.sort((a, b) => (scores[base + a] as number) - (scores[base + b] as number) || a - b);
    let cumulative = 0;
    for (let j = 0; j < removable; j++) {
      const index = order[j] as number;
      cumulative += probs[base + index] as number;
      if (Math.fround(cumulative) > threshold) break;
      out[base + index] = Number.NEGATIVE_INFINITY;
    }
  }
  return out;
}

/**
 * HF's sampling chain for `generate(doSample: true)`: Temperature → TopK → TopP, each only when set to
 * a non-neutral value (temperature ≠ 1, topK > 0, topP < 1). Always returns a new array.
 *
 * @example applyWarpers(logits, batch, { temperature: 0.7, topK: 5, topP: 0.9 })
 */
export function applyWarpers(scores: Float32Array, rows: number, options: WarperOptions = {}): Float32Array {
  rowWidth(scores, rows);
  const { temperature, topK, topP, minTokensToKeep = 1 } = options;
  let out = scores;
  if (temperature !== undefined && temperature !== null && temperature !== 1) {
    out = temperatureWarp(out, rows, temperature);
  }
  if (topK !== undefined && topK !== null && topK !== 0) out = topKWarp(out, rows, topK, minTokensToKeep);
  if (topP !== undefined && topP !== null && topP < 1) out = topPWarp(out, rows, topP, minTokensToKeep);
  return out === scores ? new Float32Array(scores) : out;
}

/** Validates warper options up front, so `generate` fails before creating a decoder. */
export function validateWarperOptions(options: WarperOptions): void {
  const { temperature, topK, topP, minTokensToKeep } = options;
  if (temperature !== undefined && temperature !== null) checkTemperature(temperature);
  if (topK !== undefined && topK !== null && topK !== 0) checkTopK(topK);
  if (topP !== undefined && topP !== null) checkTopP(topP);
  if (minTokensToKeep !== undefined) checkMinKeep(minTokensToKeep);
}
