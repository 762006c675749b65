import { ImageGPTConfig } from '@imagegpt/config';
import { describe, expect, it } from 'vitest';
import { Checkpoint, DeferredWeight } from '../checkpoint/index.js';
import { zeroCheckpoint } from '../model/test-utils/zero-checkpoint.js';
import { decodeOnnxModel } from '../onnx/onnx-codec.js';
import { onnxTypes } from '../onnx/onnx-schema.js';
import { buildDecodeGraph } from './decode-graph.js';
import { buildImageGPTGraph } from './imagegpt-graph.js';
import { buildPrefillGraph } from './prefill-graph.js';

const config = ImageGPTConfig.fromJSON({ vocab_size: 9, n_positions: 8, n_embd: 16, n_layer: 2, n_head: 2 });

// The builder skips protobufjs' schema check when it encodes (it would cost a cold start), so this
// is where its output is held to onnx.proto: every graph, head and storage it writes.
describe('every graph the builders write fits onnx.proto', () => {
  for (const head of ['causal', 'classifier'] as const) {
    for (const dtype of ['fp32', 'fp16', 'q8'] as const) {
      it(`${head}, ${dtype}`, () => {
        const checkpoint = zeroCheckpoint(config, head);
        const options = { head, dtype, weights: 'embedded' as const };
        const artifacts = [
          buildImageGPTGraph(config, checkpoint, {
            ...options,
            outputHiddenStates: true,
            outputAttentions: true,
          }),
          buildPrefillGraph(config, checkpoint, options),
          ...(head === 'causal' ? [buildDecodeGraph(config, checkpoint, options)] : []),
        ];
        for (const { model } of artifacts)
          expect(onnxTypes.ModelProto.verify(decodeOnnxModel(model))).toBeNull();
      });
    }
  }
});

describe("the decode graph with weights: 'files'", () => {
  // The zero checkpoint's tensors as if they lay in a file, at 4-byte-aligned offsets.
  const inFile = (): Checkpoint => {
    const zeros = zeroCheckpoint(config);
    const file = {
      path: '/m/model.safetensors',
      size: 1 << 20,
      readSync: (_offset: number, length: number) => new Uint8Array(length),
      check: () => {},
    };
    let offset = 64;
    const tensors = zeros.names().map((name) => {
      const { dtype, shape, bytes } = zeros.get(name);
      const t = new DeferredWeight(name, dtype, shape, bytes.byteLength, file, offset);
      offset += bytes.byteLength;
      return t;
    });
    return new Checkpoint(tensors, { source: 'model.safetensors' });
  };

  it('hands c_attn over as it lies and scales the queries with a Mul instead', () => {
    const artifact = buildDecodeGraph(config, inFile(), { head: 'causal', weights: 'files' });
    const { graph } = decodeOnnxModel(artifact.model);
    const cAttn = graph.initializer.find((t) => t.name === 'transformer.h.0.attn.c_attn.weight');
    expect(cAttn?.externalData?.[0]).toEqual({ key: 'location', value: 'model.safetensors' });
    expect(artifact.externalDataFolder).toBe('/m');
    expect(graph.node.filter((n) => n.opType === 'Mul' && n.input[0]?.endsWith('attn.q'))).toHaveLength(2);
  });

  it('folds the scale into c_attn when the weights travel in memory', () => {
    const { graph } = decodeOnnxModel(buildDecodeGraph(config, inFile(), { head: 'causal' }).model);
    expect(graph.node.filter((n) => n.opType === 'Mul' && n.input[0]?.endsWith('attn.q'))).toHaveLength(0);
  });
});
