import { Checkpoint } from '@imagegpt/core';
import { folderSource } from '@imagegpt/test-kit/files';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from '../../node/src/node-backend.js';
import { ImageGPTModel } from './imagegpt-model.js';

const backend = createNodeBackend({ threads: 2 });
const golden = goldenCase('tiny-causal');

/** Mean over positions of a golden [B, T, C] tensor, per row. */
function meanRows(values: Float32Array, [B, T, C]: number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < B!; b++) {
    for (let c = 0; c < C!; c++) {
      let sum = 0;
      for (let t = 0; t < T!; t++) sum += values[(b * T! + t) * C! + c]!;
      out.push(sum / T!);
    }
  }
  return out;
}

describe('ImageGPTModel', () => {
  let model: ImageGPTModel;
  beforeAll(async () => {
    model = await ImageGPTModel.fromSource(folderSource(golden.dir), { backend, prefer: 'bin' });
  });
  afterAll(() => model.dispose());

  it('loads the backbone of a causal checkpoint and returns HF hidden states', async () => {
    const { lastHiddenState, hiddenStates, logits } = await model.forward(golden.rows('input_ids'), {
      outputHiddenStates: true,
    });
    expect(lastHiddenState.dims).toEqual([2, 64, 32]);
    golden.expectClose('last_hidden_state', lastHiddenState.data as Float32Array);
    golden.expectClose('hidden_states.1', hiddenStates![1]!.data as Float32Array);
    expect(logits === undefined || logits === lastHiddenState).toBe(true);
  });

  it('features() pools the requested hidden_states entry, with or without positions kept', async () => {
    const ids = golden.rows('input_ids');
    for (const layer of [0, 1, 2]) {
      const name = `hidden_states.${layer}`;
      const pooled = await model.features(ids, { layer });
      golden.expectClose(
        name,
        pooled.flatMap((f) => Array.from(f)),
        { label: `${name} pooled`, reference: meanRows(golden.f32(name), [2, 64, 32]) },
      );
      const full = await model.features(ids, { layer, pooling: 'none' });
      golden.expectClose(
        name,
        full.flatMap((f) => Array.from(f)),
      );
    }
    await expect(model.features(ids, { layer: 3 })).rejects.toThrow(
      /options.layer: is 3, expected a hidden_states index in 0..2/,
    );
  });

  it('featuresByLayer() gives every layer from one pass, equal to features() per layer', async () => {
    const ids = golden.rows('input_ids');
    const all = await model.featuresByLayer(ids);
    expect(all).toHaveLength(3);
    for (const layer of [0, 1, 2]) {
      const one = await model.features(ids, { layer });
      expect(all[layer]!.map((f) => Array.from(f))).toEqual(one.map((f) => Array.from(f)));
      golden.expectClose(
        `hidden_states.${layer}`,
        all[layer]!.flatMap((f) => Array.from(f)),
        {
          label: `hidden_states.${layer} pooled`,
          reference: meanRows(golden.f32(`hidden_states.${layer}`), [2, 64, 32]),
        },
      );
    }
    const picked = await model.featuresByLayer(ids, { layers: [2, 0] });
    expect(picked[0]!.map((f) => Array.from(f))).toEqual(all[2]!.map((f) => Array.from(f)));
    await expect(model.featuresByLayer(ids, { layers: [0, 7] })).rejects.toThrow(/options.layers: is 7/);
  });

  it('features() with addSos feeds [SOS] + pixels[0:T−1]', async () => {
    const ids = golden.rows('input_ids');
    const pixels = ids.map((row) => [...row.slice(1), 5]);
    const withSos = await model.features(pixels, { addSos: true, pooling: 'none' });
    golden.expectClose(
      'last_hidden_state',
      withSos.flatMap((f) => Array.from(f)),
    );
  });

  it('accepts a bare ImageGPTModel state dict (no transformer. prefix)', async () => {
    const full = golden.weights('safetensors');
    const bare = new Checkpoint(
      full
        .names()
        .filter((name) => name.startsWith('transformer.'))
        .map((name) => ({ ...full.get(name), name: name.slice('transformer.'.length) })),
      { source: 'bare' },
    );
    const bareModel = await ImageGPTModel.fromParts({ config: golden.config, checkpoint: bare, backend });
    try {
      const { lastHiddenState } = await bareModel.forward(golden.rows('input_ids'));
      golden.expectClose('last_hidden_state', lastHiddenState.data as Float32Array);
    } finally {
      await bareModel.dispose();
    }
  });

  it("refuses a processor whose clusters do not match the model's vocabulary, before reading weights", async () => {
    const real = folderSource(golden.dir);
    const read: string[] = [];
    // The golden model has vocab_size 17 (16 clusters + SOS); serve a processor with 8 clusters.
    const files = {
      location: real.location,
      exists: (path: string) => real.exists(path).then((e) => e || path === 'preprocessor_config.json'),
      read: async (path: string, onProgress?: (loaded: number, total: number | undefined) => void) => {
        read.push(path);
        if (path !== 'preprocessor_config.json') return real.read(path, onProgress);
        const clusters = Array.from({ length: 8 }, (_, i) => [i / 8, i / 8, i / 8]);
        return new TextEncoder().encode(JSON.stringify({ clusters, size: { height: 8, width: 8 } }));
      },
    };
    await expect(ImageGPTModel.fromSource(files, { backend })).rejects.toThrow(
      /preprocessor_config\.json: has 8 colour clusters, but the model's vocab_size 17 means 16/,
    );
    expect(read.some((p) => p.endsWith('.safetensors') || p.endsWith('.bin'))).toBe(false);
  });
});
