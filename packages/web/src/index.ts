// @imagegpt/web: the whole ImageGPT.ts API, wired to onnxruntime-web, fetch and the canvas.
export * from '@imagegpt/config';
export * from '@imagegpt/core';
export * from '@imagegpt/heads';
export * from '@imagegpt/processor';
export { DEFAULT_CACHE_NAME, FetchFileSource, type FetchFileSourceOptions } from './fetch-file-source.js';
export {
  decodeImage,
  toImageData,
  toRawImage,
  type WebImageInput,
  type WebImageOptions,
} from './image-io.js';
export { decodePng } from './png-decode.js';
export { encodePng } from './png-encode.js';
export {
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
  ImageGPTModel,
  type WebPretrainedOptions,
} from './pretrained.js';
export {
  createWebBackend,
  WASM_MAX_MODEL_BYTES,
  type WasmPaths,
  WEBGPU_MAX_MODEL_BYTES,
  WebBackend,
  type WebBackendOptions,
  type WebDevice,
} from './web-backend.js';
export { WebError, type WebErrorDetails } from './web-error.js';
