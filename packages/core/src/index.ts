// @imagegpt/core: backend-agnostic ImageGPT. Data flows bytes → checkpoint → graph → session → generation.
export * from './backend/index.js';
export * from './checkpoint/index.js';
export * from './generation/index.js';
export {
  type AttentionKind,
  buildDecodeGraph,
  buildImageGPTGraph,
  buildPrefillGraph,
  checkImageGPTWeights,
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  type DecodeGraphOptions,
  type DecoderKind,
  expectedImageGPTWeights,
  FLOAT32_MIN,
  GraphBuilder,
  type ImageGPTGraphOptions,
  type InitializerData,
  MS_DOMAIN,
  type PrefillGraphOptions,
  type PrefillKind,
} from './graph/index.js';
export * from './io/index.js';
export * from './model/index.js';
export * from './onnx/index.js';
export * from './quantize/index.js';
