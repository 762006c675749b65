/**
 * HF's `PretrainedConfig.problem_type` values: which loss a classification head computes against
 * its labels. `regression` is the mean squared error, `single_label_classification` the
 * cross-entropy over class indices, `multi_label_classification` the binary cross-entropy with
 * logits over multi-hot targets. When a config leaves it unset (null), HF picks one from the
 * labels at the first call with labels: see `resolveProblemType` in `@imagegpt/heads`.
 */
export const PROBLEM_TYPES = [
  'regression',
  'single_label_classification',
  'multi_label_classification',
] as const;

/** One of {@link PROBLEM_TYPES}. */
export type ProblemType = (typeof PROBLEM_TYPES)[number];
