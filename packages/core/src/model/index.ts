/**
 * `@imagegpt/core/model`: the model on a backend. `ImageGPTRunner` (also at the root) and the decoders
 * its `createDecoder` returns: `ReferenceDecoder` over the reference graph and `FastDecoder` over the
 * fused decode graph.
 *
 * @packageDocumentation
 */

export type { HeadKind } from '../graph/head-kind.js';
export type { Decoder, DecoderModel } from './decoder.js';
export { KVDecoder, ReferenceDecoder } from './decoder.js';
export { DeviceCacheDecoder } from './device-cache-decoder.js';
export { FastDecoder } from './fast-decoder.js';
export type { ForwardOptions, ForwardResult } from './forward-types.js';
export type { GraphFallback, ImageGPTRunnerOptions } from './imagegpt-runner.js';
export { ImageGPTRunner } from './imagegpt-runner.js';
export type { KeyValueCache } from './kv-cache.js';
export { ModelInputError } from './model-input-error.js';
