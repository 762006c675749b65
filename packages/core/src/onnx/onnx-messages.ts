// Plain-object shapes of the ONNX messages the graph builder writes, mirroring onnx-schema.ts. Only
// what this project emits is typed; protobufjs ignores nothing here and adds nothing.

/** `TensorProto.DataType` values used by this project (numbers from onnx.proto). */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;

/** One of {@link OnnxDataType}'s values. */
export type OnnxDataTypeCode = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** `AttributeProto.AttributeType` values (numbers from onnx.proto). */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
} as const;

/** `TensorProto.DataLocation`: EXTERNAL means the bytes live in a side file named by `externalData`. */
export const OnnxDataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** A key/value pair (`StringStringEntryProto`). */
export interface OnnxEntry {
  key: string;
  value: string;
}

/** `TensorProto`: an initializer, with its bytes either inline (`rawData`) or external. */
export interface OnnxTensor {
  name: string;
  dataType: OnnxDataTypeCode;
  dims: number[];
  rawData?: Uint8Array;
  dataLocation?: number;
  externalData?: OnnxEntry[];
}

/** `AttributeProto` for the attribute kinds the builder emits. */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

/** `NodeProto`. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** One axis of a value's shape: a fixed size or a symbolic name such as `batch`. */
export type OnnxDim = { dimValue: number } | { dimParam: string };

/** `ValueInfoProto` for a tensor value (graph input or output). */
export interface OnnxValueInfo {
  name: string;
  type: { tensorType: { elemType: OnnxDataTypeCode; shape: { dim: OnnxDim[] } } };
}

/** `GraphProto`. */
export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  docString?: string;
}

/** `ModelProto`. */
export interface OnnxModel {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: OnnxGraph;
  metadataProps?: OnnxEntry[];
}
