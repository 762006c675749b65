export { decodeOnnxModel, encodeOnnxModel } from './onnx-codec.js';
export type {
  OnnxAttribute,
  OnnxDataTypeCode,
  OnnxDim,
  OnnxEntry,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx-messages.js';
export { OnnxAttributeType, OnnxDataLocation, OnnxDataType } from './onnx-messages.js';
