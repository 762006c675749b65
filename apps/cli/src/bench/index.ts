export { formatBench } from './format-bench.js';
export { heldOutDigits } from './held-out-digits.js';
export { type MachineLimits, measureMachine } from './machine.js';
export { randomImageGPTCheckpoint } from './random-checkpoint.js';
export { type BenchOptions, type BenchResults, type DecodeFigure, runBench } from './run-bench.js';
