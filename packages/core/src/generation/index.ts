/**
 * `@imagegpt/core/generation`: `generate` (also at the root) and the steps it takes, with HF 4.31's
 * semantics, for other decoding loops: the logits warpers, softmax, argmax and sampling, and the seeded
 * random streams.
 *
 * @packageDocumentation
 */

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
