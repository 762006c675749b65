import type { ProblemType } from '@imagegpt/config';
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

/**
 * Labels of a classifier call, the two kinds HF tells apart by dtype: one class index per row
 * (`number[]`, HF's integer labels; with a single label it is each row's regression target), or
 * per row `numLabels` float targets (`number[][]`: multi-hot for multi-label classification,
 * values for regression).
 */
export type ClassifierLabels = readonly number[] | readonly (readonly number[])[];

const isMatrix = (labels: ClassifierLabels): labels is readonly (readonly number[])[] =>
  labels.length > 0 && Array.isArray(labels[0]);

/**
 * HF's rule for the loss when a config leaves `problem_type` unset: `regression` for a single
 * label, `single_label_classification` for class indices (integer labels),
 * `multi_label_classification` for per-label float targets.
 *
 * @example
 * resolveProblemType(null, 3, [0, 2]);          // 'single_label_classification'
 * resolveProblemType(null, 3, [[0, 1, 1]]);     // 'multi_label_classification'
 * resolveProblemType(null, 1, [0.5, -1.2]);     // 'regression'
 */
export function resolveProblemType(
  problemType: ProblemType | null,
  numLabels: number,
  labels: ClassifierLabels,
): ProblemType {
  if (problemType !== null) return problemType;
  if (numLabels === 1) return 'regression';
  return isMatrix(labels) ? 'multi_label_classification' : 'single_label_classification';
}

/**
 * The loss of HF's `ImageGPTForImageClassification` against `labels`, in float64, for the problem
 * type given (see {@link resolveProblemType}): `regression` the mean squared error over every
 * element (logits and labels squeezed when there is one label), `single_label_classification` the
 * mean cross-entropy over rows whose label is not −100, `multi_label_classification` the mean
 * binary cross-entropy with logits over every element. `logits` is `[B, numLabels]`.
 */
export function classifierLoss(
  logits: Float32Array,
  labels: ClassifierLabels,
  numLabels: number,
  problemType: ProblemType,
): number {
  const batch = logits.length / numLabels;
  if (labels.length !== batch) {
    throw new HeadsError(`has ${labels.length} entries, expected one per input row (${batch})`, {
      source: 'labels',
    });
  }
  if (problemType === 'single_label_classification') {
    if (isMatrix(labels)) {
      throw new HeadsError(
        'are per-label targets, but single_label_classification takes one class index per row',
        { source: 'labels' },
      );
    }
    let total = 0;
    let count = 0;
    labels.forEach((label, b) => {
      if (label === IGNORE_INDEX) return;
      if (!Number.isInteger(label) || label < 0 || label >= numLabels) {
        throw new HeadsError(
          `is ${label}, expected a class index in 0..${numLabels - 1} or ${IGNORE_INDEX}`,
          {
            source: `labels[${b}]`,
          },
        );
      }
      total += crossEntropy(logits, b * numLabels, numLabels, label);
      count++;
    });
    return total / count;
  }
  // Regression and multi-label compare element by element: labels become [B, numLabels].
  const targets = targetMatrix(labels, numLabels, problemType);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!;
    const y = targets[i]!;
    // max(x, 0) − x·y + log(1 + e^−|x|): PyTorch's stable BCEWithLogits.
    total +=
      problemType === 'regression'
        ? (x - y) ** 2
        : Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return total / logits.length;
}

/** Float targets as one flat [B·numLabels] array, each checked to be a finite number. */
function targetMatrix(labels: ClassifierLabels, numLabels: number, problemType: ProblemType): Float64Array {
  const out = new Float64Array(labels.length * numLabels);
  const check = (v: number, source: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new HeadsError(`is ${String(v)}, expected a finite number`, { source });
    return v;
  };
  if (!isMatrix(labels)) {
    // HF squeezes both sides only when there is one label; otherwise targets must be per label.
    if (numLabels !== 1) {
      throw new HeadsError(
        `are one number per row, but ${problemType} with ${numLabels} labels takes ${numLabels} targets per row`,
        { source: 'labels' },
      );
    }
    (labels as readonly number[]).forEach((v, b) => {
      out[b] = check(v, `labels[${b}]`);
    });
    return out;
  }
  labels.forEach((row, b) => {
    if (!Array.isArray(row) || row.length !== numLabels) {
      throw new HeadsError(`has ${Array.isArray(row) ? row.length : 'no'} targets, expected ${numLabels}`, {
        source: `labels[${b}]`,
      });
    }
    row.forEach((v, k) => {
      out[b * numLabels + k] = check(v, `labels[${b}][${k}]`);
    });
  });
  return out;
}
