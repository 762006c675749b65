export { type AbortSignalLike, createAbortError } from './abort-error.js';
export { DEFAULT_TOP_K, generate, MAX_GENERATION_ROWS } from './generate.js';
export { GenerationError } from './generation-error.js';
export { applyWarpers, temperatureWarp, topKWarp, topPWarp, type WarperOptions } from './logits-warpers.js';
export { createRng, type Rng, randomSeed } from './rng.js';
export { argmaxRows, sampleIndex, sampleRows } from './sampling.js';
export { softmaxRows } from './softmax.js';
export type {
  GenerateOptions,
  GenerateResult,
  GenerationConfigLike,
  GenerativeModel,
  RowEvent,
  TokenEvent,
} from './types.js';
