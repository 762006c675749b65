// @imagegpt/core: backend-agnostic ImageGPT. Data flows bytes → checkpoint → graph → session → generation.
export * from './backend/index.js';
export * from './checkpoint/index.js';
export * from './generation/index.js';
export {
  type AttentionKind,
  buildImageGPTGraph,
  checkImageGPTWeights,
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  expectedImageGPTWeights,
  FLOAT32_MIN,
  GraphBuilder,
  type ImageGPTGraphOptions,
  type InitializerData,
  MS_DOMAIN,
} from './graph/index.js';
export * from './model/index.js';
export * from './onnx/index.js';
export * from './quantize/index.js';
