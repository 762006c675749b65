export type {
  BenchOptions,
  BenchResults,
  DecodeFigure,
  PrefillFigure,
  QualityFigure,
} from './bench-results.js';
export { formatBench } from './format-bench.js';
export { heldOutDigits } from './held-out-digits.js';
export { type MachineLimits, measureMachine } from './machine.js';
export { randomImageGPTCheckpoint } from './random-checkpoint.js';
export { runBench } from './run-bench.js';
