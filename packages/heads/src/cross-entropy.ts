import { HeadsError } from './heads-error.js';

/** Labels with this value are left out of the loss, as in PyTorch's `CrossEntropyLoss`. */
export const IGNORE_INDEX = -100;

/**
 * `−log softmax(row)[target]` of one logits row `logits[offset … offset+classes)`, in float64
 * so that summing thousands of them keeps the loss exact to float32 precision.
 */
export function crossEntropy(logits: Float32Array, offset: number, classes: number, target: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[offset + k]!);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[offset + k]! - max);
  return Math.log(sum) + max - logits[offset + target]!;
}

/**
 * HF's causal loss: mean cross-entropy of `logits[:, :-1]` against `labels[:, 1:]` over the
 * `classes` (= vocabSize − 1) colours, skipping labels of −100. `logits` is `[B, T, classes]`.
 */
export function causalLoss(
  logits: Float32Array,
  labels: readonly (readonly number[])[],
  classes: number,
): number {
  const batch = labels.length;
  const length = batch === 0 ? 0 : labels[0]!.length;
  if (logits.length !== batch * length * classes) {
    throw new HeadsError(
      `logits have ${logits.length} values, expected B·T·(V−1) = ${batch}·${length}·${classes}`,
      {
        source: 'labels',
      },
    );
  }
  let total = 0;
  let count = 0;
  labels.forEach((row, b) => {
    if (row.length !== length)
      throw new HeadsError(`has ${row.length} labels, expected ${length}`, { source: `labels[${b}]` });
    for (let t = 1; t < length; t++) {
      const target = row[t]!;
      if (target === IGNORE_INDEX) continue;
      if (!Number.isInteger(target) || target < 0 || target >= classes) {
        throw new HeadsError(
          `label ${t} is ${target}, expected a colour id in 0..${classes - 1} or ${IGNORE_INDEX}`,
          {
            source: `labels[${b}]`,
          },
        );
      }
      total += crossEntropy(logits, (b * length + t - 1) * classes, classes, target);
      count++;
    }
  });
  // PyTorch's mean over zero elements is NaN; keep that rather than invent a value.
  return total / count;
}

/** Softmax of `logits[offset … offset+classes)` in float64. */
export function softmax(logits: ArrayLike<number>, offset: number, classes: number): Float64Array {
  const out = new Float64Array(classes);
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[offset + k]!);
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    out[k] = Math.exp(logits[offset + k]! - max);
    sum += out[k]!;
  }
  for (let k = 0; k < classes; k++) out[k] = out[k]! / sum;
  return out;
}
