/**
 * `@imagegpt/core/graph`: the model as ONNX graphs. `buildImageGPTGraph` is the reference graph (HF's
 * ImageGPT in standard operators, what the goldens check and `igpt export` writes); `buildDecodeGraph`
 * and `buildPrefillGraph` are the fused graphs the runner decodes and prefills with; `GraphBuilder`
 * emits the nodes under all three; `expectedImageGPTWeights` lists the tensors a checkpoint must hold.
 *
 * @packageDocumentation
 */

export type { Attention, AttentionOutput } from './attention.js';
export { FLOAT32_MIN } from './attention.js';
export type { DecodeGraphOptions } from './decode-graph.js';
export { buildDecodeGraph } from './decode-graph.js';
export type {
  AttentionKind,
  ImageGPTGraphOptionsWithAttention as ImageGPTGraphOptions,
} from './deprecated-attention-option.js';
export { buildImageGPTGraphWithAttention as buildImageGPTGraph } from './deprecated-attention-option.js';
export {
  checkImageGPTWeights,
  countImageGPTParameters,
  expectedImageGPTWeights,
} from './expected-weights.js';
export type {
  AttributeValue,
  Dim,
  InitializerData,
  SerializeOptions,
  WeightPlacement,
} from './graph-builder.js';
export { DEFAULT_EXTERNAL_DATA_THRESHOLD, floatAttr, GraphBuilder, MS_DOMAIN } from './graph-builder.js';
export type { DecoderKind, GraphKind, PrefillKind } from './graph-kind.js';
export type { ModelGraphOptions } from './model-graph.js';
export type { PrefillGraphOptions } from './prefill-graph.js';
export { buildPrefillGraph } from './prefill-graph.js';
