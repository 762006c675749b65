import { ImageGPTConfig } from '@imagegpt/config';
import { describe, expect, it } from 'vitest';
import { zeroCheckpoint } from '../model/test-utils/zero-checkpoint.js';
import { decodeOnnxModel } from '../onnx/onnx-codec.js';
import { buildDecodeGraph } from './decode-graph.js';
import { buildImageGPTGraphWithAttention } from './deprecated-attention-option.js';
import { buildImageGPTGraph } from './imagegpt-graph.js';
import { buildPrefillGraph } from './prefill-graph.js';

// The deprecated `attention` option builds exactly what the new builders build, for one release.
const config = ImageGPTConfig.fromJSON({ vocab_size: 5, n_positions: 8, n_embd: 8, n_layer: 2, n_head: 2 });
const checkpoint = zeroCheckpoint(config);
const head = 'causal';

describe('buildImageGPTGraph with the deprecated attention option', () => {
  it('gives the same bytes as the builder it stands for', () => {
    const same = (a: { model: Uint8Array }, b: { model: Uint8Array }) => expect(a.model).toEqual(b.model);
    same(
      buildImageGPTGraphWithAttention(config, checkpoint, { head, withPast: false }),
      buildImageGPTGraph(config, checkpoint, { head, withPast: false }),
    );
    // The fast graph took `logits: 'all'` by default; the decode graph defaults to the last position.
    same(
      buildImageGPTGraphWithAttention(config, checkpoint, { head, attention: 'fast', dtype: 'q4' }),
      buildDecodeGraph(config, checkpoint, { head, dtype: 'q4', logits: 'all' }),
    );
    same(
      buildImageGPTGraphWithAttention(config, checkpoint, { head, attention: 'fast', logits: 'last' }),
      buildDecodeGraph(config, checkpoint, { head }),
    );
    // For the fused graph, `withPast` meant its presents.
    same(
      buildImageGPTGraphWithAttention(config, checkpoint, { head, attention: 'fused', withPast: false }),
      buildPrefillGraph(config, checkpoint, { head, presents: false }),
    );
  });

  it('still refuses hidden states on the fast graph', () => {
    expect(() =>
      buildImageGPTGraphWithAttention(config, checkpoint, {
        head,
        attention: 'fast',
        outputHiddenStates: true,
      }),
    ).toThrow(/the fast graph has no hidden_states outputs/);
  });

  it('labels each graph in its metadata as the runner and the bench read it', () => {
    const kind = (model: Uint8Array) =>
      decodeOnnxModel(model).metadataProps?.find((p) => p.key === 'attention')?.value;
    expect(kind(buildImageGPTGraph(config, checkpoint, { head }).model)).toBe('reference');
    expect(kind(buildDecodeGraph(config, checkpoint, { head }).model)).toBe('fast');
    expect(kind(buildPrefillGraph(config, checkpoint, { head }).model)).toBe('fused');
  });
});
