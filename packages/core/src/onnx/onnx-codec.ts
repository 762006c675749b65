import type { OnnxModel } from './onnx-messages.js';
import { onnxTypes } from './onnx-schema.js';

/** Serializes a model to the ONNX protobuf wire format (what `onnx.save` writes, less any external data). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const { ModelProto } = onnxTypes;
  const problem = ModelProto.verify(model);
  if (problem !== null) throw new TypeError(`ONNX model does not fit onnx.proto: ${problem}`);
  return ModelProto.encode(model).finish();
}

/**
 * Parses ONNX protobuf bytes back into plain objects (int64 as numbers, bytes as Uint8Array); used to
 * inspect what the builder wrote. Only the fields in onnx-schema.ts are kept.
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const { ModelProto } = onnxTypes;
  return ModelProto.toObject(ModelProto.decode(bytes), {
    longs: Number,
    enums: Number,
    defaults: false,
    arrays: true,
  }) as OnnxModel;
}
