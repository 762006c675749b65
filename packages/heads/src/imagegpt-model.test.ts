import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImageGPTConfig } from '@imagegpt/config';
import { Checkpoint, readSafetensors } from '@imagegpt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from '../../node/src/node-backend.js';
import { ImageGPTModel } from './imagegpt-model.js';
import {
  dirSource,
  expectClose,
  goldenIo,
  intRows,
  sharedDir,
  suggestedAtol,
} from './test-utils/fixtures.js';

const backend = createNodeBackend({ threads: 2 });
const CASE = 'tiny-causal';

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
    model = await ImageGPTModel.fromSource(dirSource(sharedDir('golden', CASE)), { backend, prefer: 'bin' });
  });
  afterAll(() => model.dispose());

  it('loads the backbone of a causal checkpoint and returns HF hidden states', async () => {
    const io = await goldenIo(CASE);
    const { lastHiddenState, hiddenStates, logits } = await model.forward(intRows(io, 'input_ids'), {
      outputHiddenStates: true,
    });
    expect(lastHiddenState.dims).toEqual([2, 64, 32]);
    expectClose(
      lastHiddenState.data as Float32Array,
      io.float32('last_hidden_state'),
      await suggestedAtol(CASE, 'last_hidden_state'),
    );
    expectClose(
      hiddenStates![1]!.data as Float32Array,
      io.float32('hidden_states.1'),
      await suggestedAtol(CASE, 'hidden_states.1'),
    );
    expect(logits === undefined || logits === lastHiddenState).toBe(true);
  });

  it('features() pools the requested hidden_states entry, with or without positions kept', async () => {
    const io = await goldenIo(CASE);
    const ids = intRows(io, 'input_ids');
    for (const layer of [0, 1, 2]) {
      const name = `hidden_states.${layer}`;
      const golden = io.float32(name);
      const pooled = await model.features(ids, { layer });
      expectClose(
        pooled.flatMap((f) => Array.from(f)),
        meanRows(golden, [2, 64, 32]),
        await suggestedAtol(CASE, name),
      );
      const full = await model.features(ids, { layer, pooling: 'none' });
      expectClose(
        full.flatMap((f) => Array.from(f)),
        golden,
        await suggestedAtol(CASE, name),
      );
    }
    await expect(model.features(ids, { layer: 3 })).rejects.toThrow(
      /options.layer: is 3, expected a hidden_states index in 0..2/,
    );
  });

  it('featuresByLayer() gives every layer from one pass, equal to features() per layer', async () => {
    const io = await goldenIo(CASE);
    const ids = intRows(io, 'input_ids');
    const all = await model.featuresByLayer(ids);
    expect(all).toHaveLength(3);
    for (const layer of [0, 1, 2]) {
      const one = await model.features(ids, { layer });
      expect(all[layer]!.map((f) => Array.from(f))).toEqual(one.map((f) => Array.from(f)));
      expectClose(
        all[layer]!.flatMap((f) => Array.from(f)),
        meanRows(io.float32(`hidden_states.${layer}`), [2, 64, 32]),
        await suggestedAtol(CASE, `hidden_states.${layer}`),
      );
    }
    const picked = await model.featuresByLayer(ids, { layers: [2, 0] });
    expect(picked[0]!.map((f) => Array.from(f))).toEqual(all[2]!.map((f) => Array.from(f)));
    await expect(model.featuresByLayer(ids, { layers: [0, 7] })).rejects.toThrow(/options.layers: is 7/);
  });

  it('features() with addSos feeds [SOS] + pixels[0:T−1]', async () => {
    const io = await goldenIo(CASE);
    const ids = intRows(io, 'input_ids');
    const pixels = ids.map((row) => [...row.slice(1), 5]);
    const withSos = await model.features(pixels, { addSos: true, pooling: 'none' });
    expectClose(
      withSos.flatMap((f) => Array.from(f)),
      io.float32('last_hidden_state'),
      await suggestedAtol(CASE, 'last_hidden_state'),
    );
  });

  it('accepts a bare ImageGPTModel state dict (no transformer. prefix)', async () => {
    const dir = sharedDir('golden', CASE);
    const full = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), {
      source: dir,
    });
    const bare = new Checkpoint(
      full
        .names()
        .filter((name) => name.startsWith('transformer.'))
        .map((name) => ({ ...full.get(name), name: name.slice('transformer.'.length) })),
      { source: 'bare' },
    );
    const config = ImageGPTConfig.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const bareModel = await ImageGPTModel.fromParts({ config, checkpoint: bare, backend });
    try {
      const io = await goldenIo(CASE);
      const { lastHiddenState } = await bareModel.forward(intRows(io, 'input_ids'));
      expectClose(
        lastHiddenState.data as Float32Array,
        io.float32('last_hidden_state'),
        await suggestedAtol(CASE, 'last_hidden_state'),
      );
    } finally {
      await bareModel.dispose();
    }
  });

  it("refuses a processor whose clusters do not match the model's vocabulary, before reading weights", async () => {
    const dir = sharedDir('golden', CASE);
    const real = dirSource(dir);
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
