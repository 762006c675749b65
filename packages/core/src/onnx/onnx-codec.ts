import type { OnnxModel, OnnxTensor } from './onnx-messages.js';
import { onnxTypes } from './onnx-schema.js';

// Wire-format tags (field number << 3 | wire type 2, length-delimited) of the three fields the
// encoder writes by hand: ModelProto.graph (7), GraphProto.initializer (5), TensorProto.raw_data (9).
const GRAPH_TAG = (7 << 3) | 2;
const INITIALIZER_TAG = (5 << 3) | 2;
const RAW_DATA_TAG = (9 << 3) | 2;

function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return n;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value;
  let i = at;
  while (v >= 0x80) {
    out[i++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  out[i++] = v;
  return i;
}

/** One initializer as the wire will carry it: protobufjs' bytes for everything but raw_data, then the raw bytes. */
interface TensorPiece {
  readonly head: Uint8Array;
  readonly raw: Uint8Array | undefined;
  /** Bytes of the whole TensorProto (head, raw_data's tag, length and bytes). */
  readonly size: number;
}

function tensorPiece(tensor: OnnxTensor): TensorPiece {
  const { rawData, ...meta } = tensor;
  const head = onnxTypes.TensorProto.encode(meta).finish();
  const raw = rawData === undefined || rawData.byteLength === 0 ? undefined : rawData;
  const size = head.byteLength + (raw === undefined ? 0 : 1 + varintLength(raw.byteLength) + raw.byteLength);
  return { head, raw, size };
}

/**
 * Serializes a model to the ONNX protobuf wire format (what `onnx.save` writes, less any external data).
 *
 * protobufjs encodes the graph's structure (nodes, inputs, outputs, initializer headers); the
 * initializers' `rawData` is placed around those pre-encoded headers by hand, so each weight byte is
 * copied once, straight into the result. Encoding hundreds of megabytes through protobufjs' writer
 * took seconds (it grows and copies its buffers as it goes); the wire format is the same, since a
 * parser accepts fields in any order. The model is first checked against the schema (a
 * `TypeError` names the misfit) unless `verify: false`: the graph builder skips it, since the
 * check compiles protobufjs' verifiers on first use (about 25 ms of a cold start) and the
 * builder's output is checked by its tests.
 */
export function encodeOnnxModel(model: OnnxModel, options: { readonly verify?: boolean } = {}): Uint8Array {
  const { ModelProto, GraphProto } = onnxTypes;
  if (options.verify !== false) {
    // The raw bytes are only length-checked by verify, so it sees the structure alone.
    const structure = {
      ...model,
      graph: {
        ...model.graph,
        initializer: model.graph.initializer.map(({ rawData, ...meta }) => meta),
      },
    };
    const problem = ModelProto.verify(structure);
    if (problem !== null) throw new TypeError(`ONNX model does not fit onnx.proto: ${problem}`);
  }

  const { graph, ...top } = model;
  const modelHead = ModelProto.encode(top).finish();
  const graphHead = GraphProto.encode({ ...graph, initializer: [] }).finish();
  const pieces = graph.initializer.map(tensorPiece);
  const graphSize = graphHead.byteLength + pieces.reduce((n, p) => n + 1 + varintLength(p.size) + p.size, 0);
  const total = modelHead.byteLength + 1 + varintLength(graphSize) + graphSize;

  const out = new Uint8Array(total);
  out.set(modelHead, 0);
  let at = modelHead.byteLength;
  out[at++] = GRAPH_TAG;
  at = writeVarint(out, at, graphSize);
  out.set(graphHead, at);
  at += graphHead.byteLength;
  for (const piece of pieces) {
    out[at++] = INITIALIZER_TAG;
    at = writeVarint(out, at, piece.size);
    out.set(piece.head, at);
    at += piece.head.byteLength;
    if (piece.raw !== undefined) {
      out[at++] = RAW_DATA_TAG;
      at = writeVarint(out, at, piece.raw.byteLength);
      out.set(piece.raw, at);
      at += piece.raw.byteLength;
    }
  }
  return out;
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
