/**
 * `@imagegpt/core/onnx`: the ONNX protobuf codec (`encodeOnnxModel`, `decodeOnnxModel`) and the message
 * types and enums of `onnx.proto` that the graph builder writes.
 *
 * @packageDocumentation
 */

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
