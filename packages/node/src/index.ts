// @imagegpt/node: the whole ImageGPT.ts API, wired to onnxruntime-node, the file system and sharp.
export * from '@imagegpt/config';
export * from '@imagegpt/core';
export * from '@imagegpt/heads';
export * from '@imagegpt/processor';
export {
  type DecodeImageOptions,
  decodeImage,
  encodePng,
  IMAGE_FILE_EXTENSIONS,
  readImage,
} from './image-io.js';
export * from './node-backend.js';
export { NodeError, type NodeErrorDetails } from './node-error.js';
export { NodeFileSink } from './node-file-sink.js';
export { NodeFileSource } from './node-file-source.js';
export {
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
  ImageGPTModel,
  type NodePretrainedOptions,
} from './pretrained.js';
export { OutputExistsError, type WriteOptions, writeFileAtomic } from './write-file.js';
