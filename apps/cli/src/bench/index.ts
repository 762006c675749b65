export type {
  BenchOptions,
  BenchResults,
  ColdStartFigure,
  DecodeFigure,
  PrefillFigure,
  QualityFigure,
  TargetFigure,
} from './bench-results.js';
export { formatBench } from './format-bench.js';
export { heldOutDigits } from './held-out-digits.js';
export { type MachineLimits, measureMachine } from './machine.js';
export { randomImageGPTCheckpoint } from './random-checkpoint.js';
export { igptSmallConfig, runBench } from './run-bench.js';
export { nodeTargets } from './targets.js';
