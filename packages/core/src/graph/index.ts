export type { Attention, AttentionOutput } from './attention.js';
export { FLOAT32_MIN } from './attention.js';
export type { DecodeGraphOptions } from './decode-graph.js';
export { buildDecodeGraph } from './decode-graph.js';
export type {
  AttentionKind,
  ImageGPTGraphOptionsWithAttention as ImageGPTGraphOptions,
} from './deprecated-attention-option.js';
export { buildImageGPTGraphWithAttention as buildImageGPTGraph } from './deprecated-attention-option.js';
export { checkImageGPTWeights, expectedImageGPTWeights } from './expected-weights.js';
export type { AttributeValue, Dim, InitializerData, SerializeOptions } from './graph-builder.js';
export { DEFAULT_EXTERNAL_DATA_THRESHOLD, floatAttr, GraphBuilder, MS_DOMAIN } from './graph-builder.js';
export type { DecoderKind, GraphKind, PrefillKind } from './graph-kind.js';
export type { ModelGraphOptions } from './model-graph.js';
export type { PrefillGraphOptions } from './prefill-graph.js';
export { buildPrefillGraph } from './prefill-graph.js';
