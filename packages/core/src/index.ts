// @imagegpt/core: backend-agnostic ImageGPT. Data flows bytes → checkpoint → graph → session → generation.
export * from './backend/index.js';
export * from './checkpoint/index.js';
export * from './generation/index.js';
export {
  buildImageGPTGraph,
  checkImageGPTWeights,
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  expectedImageGPTWeights,
  FLOAT32_MIN,
  GraphBuilder,
  MS_DOMAIN,
  type AttentionKind,
  type ImageGPTGraphOptions,
  type InitializerData,
} from './graph/index.js';
export * from './model/index.js';
export * from './onnx/index.js';
export * from './quantize/index.js';
