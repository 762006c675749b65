export { checkImageGPTWeights, expectedImageGPTWeights } from './expected-weights.js';
export type { AttributeValue, Dim, InitializerData, SerializeOptions } from './graph-builder.js';
export { DEFAULT_EXTERNAL_DATA_THRESHOLD, floatAttr, GraphBuilder, MS_DOMAIN } from './graph-builder.js';
export type { AttentionKind, ImageGPTGraphOptions } from './imagegpt-graph.js';
export { buildImageGPTGraph, FLOAT32_MIN } from './imagegpt-graph.js';
