import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, encodeOnnxModel } from './onnx-codec.js';
import { OnnxAttributeType, OnnxDataLocation, OnnxDataType, type OnnxModel } from './onnx-messages.js';
import { onnxTypes } from './onnx-schema.js';

const model: OnnxModel = {
  irVersion: 8,
  opsetImport: [{ domain: '', version: 17 }],
  producerName: 'test',
  producerVersion: '1',
  graph: {
    name: 'g',
    node: [
      {
        name: 'n',
        opType: 'Transpose',
        input: ['x'],
        output: ['y'],
        attribute: [{ name: 'perm', type: OnnxAttributeType.INTS, ints: [1, 0] }],
      },
    ],
    initializer: [
      {
        name: 'w',
        dataType: OnnxDataType.FLOAT,
        dims: [2],
        rawData: new Uint8Array(new Float32Array([1, -2]).buffer),
      },
      {
        name: 'big',
        dataType: OnnxDataType.FLOAT,
        dims: [4096],
        dataLocation: OnnxDataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: 'model.onnx.data' },
          { key: 'offset', value: '0' },
          { key: 'length', value: '16384' },
        ],
      },
    ],
    input: [
      {
        name: 'x',
        type: {
          tensorType: {
            elemType: OnnxDataType.FLOAT,
            shape: { dim: [{ dimParam: 'batch' }, { dimValue: 3 }] },
          },
        },
      },
    ],
    output: [
      {
        name: 'y',
        type: {
          tensorType: {
            elemType: OnnxDataType.FLOAT,
            shape: { dim: [{ dimValue: 3 }, { dimParam: 'batch' }] },
          },
        },
      },
    ],
  },
};

describe('ONNX protobuf codec', () => {
  it('round-trips a model', () => {
    const back = decodeOnnxModel(encodeOnnxModel(model));
    expect(back.irVersion).toBe(8);
    expect(back.opsetImport).toEqual([{ version: 17 }]); // empty domain is the proto2 default, not written
    expect(back.graph.node[0]).toMatchObject({
      opType: 'Transpose',
      input: ['x'],
      output: ['y'],
      attribute: [{ name: 'perm', type: 7, ints: [1, 0] }],
    });
    expect(
      Array.from(new Float32Array(new Uint8Array(back.graph.initializer[0]?.rawData ?? []).buffer)),
    ).toEqual([1, -2]);
    expect(back.graph.initializer[1]).toMatchObject({
      dataLocation: 1,
      externalData: model.graph.initializer[1]?.externalData,
    });
    expect(back.graph.input[0]?.type.tensorType.shape.dim).toEqual([{ dimParam: 'batch' }, { dimValue: 3 }]);
  });

  it('writes the field numbers of onnx.proto', () => {
    // TensorProto { dims: [2] (1, varint), data_type: 1 (2), name: "w" (8), raw_data (9) }.
    const bytes = encodeOnnxModel({
      ...model,
      graph: {
        ...model.graph,
        node: [],
        input: [],
        output: [],
        initializer: model.graph.initializer.slice(0, 1),
      },
    });
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex.startsWith('0808')).toBe(true); // ir_version = 8 is field 1
    expect(hex).toContain('2a11' + '0802' + '1001' + '420177' + '4a08' + '0000803f000000c0'); // initializer is GraphProto field 5
    expect(hex).toContain('4202' + '1011'); // opset_import (8) { version (2) = 17 }
  });

  it('places large raw data as protobufjs would encode it (multi-byte lengths included)', () => {
    // 40 000 floats: the tensor, graph and model lengths all need three-byte varints.
    const big = new Float32Array(40_000).map((_, i) => i * 0.5 - 7);
    const withBig: OnnxModel = {
      ...model,
      graph: {
        ...model.graph,
        initializer: [
          ...model.graph.initializer,
          {
            name: 'huge',
            dataType: OnnxDataType.FLOAT,
            dims: [200, 200],
            rawData: new Uint8Array(big.buffer),
          },
        ],
      },
    };
    const ours = encodeOnnxModel(withBig);
    const theirs = new Uint8Array(onnxTypes.ModelProto.encode(withBig).finish());
    expect(ours.byteLength).toBe(theirs.byteLength);
    // The same message, field for field; raw bytes compared apart (a failing diff of them would be huge).
    const bytesOf = (m: OnnxModel) => m.graph.initializer.map((t) => Buffer.from(t.rawData ?? []));
    const shape = (m: OnnxModel) => ({
      ...m,
      graph: { ...m.graph, initializer: m.graph.initializer.map(({ rawData, ...rest }) => rest) },
    });
    const [a, b] = [decodeOnnxModel(ours), decodeOnnxModel(theirs)];
    expect(shape(a)).toEqual(shape(b));
    expect(bytesOf(a).map((x, i) => x.equals(bytesOf(b)[i] as Buffer))).toEqual([true, true, true]);
    const back = a.graph.initializer[2]?.rawData as Uint8Array;
    expect(Buffer.from(back).equals(Buffer.from(big.buffer))).toBe(true);
  });

  it('refuses values that do not fit the schema', () => {
    expect(() => encodeOnnxModel({ ...model, irVersion: 'eight' as unknown as number })).toThrow(
      /does not fit onnx\.proto/,
    );
  });
});
