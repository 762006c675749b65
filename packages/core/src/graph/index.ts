export { checkImageGPTWeights, expectedImageGPTWeights } from './expected-weights.js';
export type { AttributeValue, Dim, SerializeOptions } from './graph-builder.js';
export { DEFAULT_EXTERNAL_DATA_THRESHOLD, floatAttr, GraphBuilder } from './graph-builder.js';
export type { ImageGPTGraphOptions } from './imagegpt-graph.js';
export { buildImageGPTGraph, FLOAT32_MIN } from './imagegpt-graph.js';
