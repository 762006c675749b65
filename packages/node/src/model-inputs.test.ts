import { Checkpoint, CheckpointError, ImageGPTRunner, ModelInputError } from '@imagegpt/core';
import { compareFloats } from '@imagegpt/heads/conformance';
import { type GoldenCase, goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// Bad inputs are refused before any compute with a ModelInputError naming the argument; bad
// weights with one CheckpointError listing every mismatch.
let golden: GoldenCase;
let runner: ImageGPTRunner;
const backend = createNodeBackend({ threads: 1 });

beforeAll(async () => {
  golden = goldenCase('tiny-causal');
  runner = await ImageGPTRunner.create({
    backend,
    config: golden.config,
    checkpoint: golden.weights('safetensors'),
    head: 'causal',
  });
});
afterAll(async () => {
  await runner.dispose();
});

describe('ImageGPTRunner.forward input checks', () => {
  const sos = 16;
  it.each<[string, () => Promise<unknown>, RegExp]>([
    [
      'an id above V−1',
      () => runner.forward([[sos, 17]]),
      /inputIds\[0\]\[1\]: is 17, expected a token id in 0\.\.16/,
    ],
    ['a negative id', () => runner.forward([[sos, -1]]), /inputIds\[0\]\[1\]: is -1/],
    ['a non-integer id', () => runner.forward([[sos, 1.5]]), /is 1\.5/],
    [
      'ragged rows',
      () =>
        runner.forward([
          [sos, 1, 2],
          [sos, 1],
        ]),
      /row 1 has 2 entries but row 0 has 3/,
    ],
    ['no rows', () => runner.forward([]), /non-empty array of rows/],
    ['empty rows', () => runner.forward([[], []]), /at least one token/],
    [
      '65 tokens for n_positions 64',
      () => runner.forward([Array.from({ length: 65 }, () => 1)]),
      /65 tokens exceed n_positions = 64/,
    ],
    [
      'a mask of the wrong length',
      () => runner.forward([[sos, 1]], { attentionMask: [[1, 1, 1]] }),
      /attentionMask: is \[1\]\[3\], expected \[1\]\[2\]/,
    ],
    [
      'a mask with the wrong rows',
      () =>
        runner.forward([[sos, 1]], {
          attentionMask: [
            [1, 1],
            [1, 1],
          ],
        }),
      /expected \[1\]\[2\]/,
    ],
    [
      'a mask value of 2',
      () => runner.forward([[sos, 1]], { attentionMask: [[1, 2]] }),
      /attentionMask\[0\]\[1\]: is 2, expected a mask value in 0\.\.1/,
    ],
    [
      'a position ≥ n_positions',
      () => runner.forward([[sos, 1]], { positionIds: [[0, 64]] }),
      /positionIds\[0\]\[1\]: is 64, expected a position in 0\.\.63/,
    ],
    [
      'position ids of the wrong shape',
      () => runner.forward([[sos, 1]], { positionIds: [[0]] }),
      /positionIds: is \[1\]\[1\], expected \[1\]\[2\]/,
    ],
  ])('refuses %s', async (_, call, message) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelInputError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a cache of another batch size or that would overflow n_positions', async () => {
    const { presents } = await runner.forward([[sos, 1, 2]]);
    await expect(runner.forward([[3], [4]], { past: presents })).rejects.toThrow(
      /past\.layers\[0\]\.key: is float32 \[1, 4, 3, 8\], expected float32 \[2, 4, 3, 8\]/,
    );
    await expect(runner.forward([Array.from({ length: 62 }, () => 1)], { past: presents })).rejects.toThrow(
      /3 cached \+ 62 tokens exceed n_positions = 64/,
    );
    await expect(
      runner.forward([[3]], { past: { length: 3, layers: presents.layers.slice(1) } }),
    ).rejects.toThrow(/has 1 layers, expected n_layer = 2/);
    // A mask covers past + new tokens.
    await expect(runner.forward([[3]], { past: presents, attentionMask: [[1]] })).rejects.toThrow(
      /expected \[1\]\[4\]/,
    );
    const ok = await runner.forward([[3]], { past: presents, attentionMask: [[1, 1, 1, 1]] });
    expect(ok.logits.dims).toEqual([1, 1, 16]);
    expect(ok.presents.length).toBe(4);
  });

  it('refuses decoding with a non-causal head and use after dispose', async () => {
    const classify = goldenCase('tiny-classify');
    const classifier = await ImageGPTRunner.create({
      backend,
      config: classify.config,
      checkpoint: classify.weights('safetensors'),
      head: 'classifier',
    });
    expect(() => classifier.createDecoder(1)).toThrow(/decoding needs the causal head/);
    await classifier.dispose();
    await expect(classifier.forward([[sos]])).rejects.toThrow(/after dispose/);
    await classifier.dispose();
  });
});

describe('weight checks', () => {
  it('lists every missing, unexpected and misshaped tensor with the expected shapes', async () => {
    const weights = golden.weights('safetensors');
    const tensors = weights
      .names()
      .filter((n) => n !== 'transformer.h.1.mlp.c_fc.bias')
      .map((n) => weights.get(n))
      .map((t) => (t.name === 'lm_head.weight' ? { ...t, shape: [32, 16] } : t));
    tensors.push({
      name: 'transformer.h.2.ln_1.weight',
      dtype: 'F32',
      shape: [32],
      bytes: new Uint8Array(128),
    });
    const broken = new Checkpoint(tensors, { source: 'broken.safetensors' });
    const error = await ImageGPTRunner.create({
      backend,
      config: golden.config,
      checkpoint: broken,
      head: 'causal',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    const message = (error as Error).message;
    expect(message).toContain('broken.safetensors');
    expect(message).toMatch(/transformer\.h\.1\.mlp\.c_fc\.bias.*\[128\]/);
    expect(message).toMatch(/lm_head\.weight is \[32, 16\], expected \[16, 32\]/);
    expect(message).toMatch(/unexpected: transformer\.h\.2\.ln_1\.weight/);
  });

  it('needs score.weight for the classifier head but ignores the LM head for the base model', async () => {
    const weights = golden.weights('safetensors');
    await expect(
      ImageGPTRunner.create({ backend, config: golden.config, checkpoint: weights, head: 'classifier' }),
    ).rejects.toThrow(/missing: score\.weight \(expected \[2, 32\]\)/);
    const base = await ImageGPTRunner.create({
      backend,
      config: golden.config,
      checkpoint: weights,
      head: 'base',
    });
    const out = await base.forward(golden.rows('input_ids'));
    const { atol } = golden.tolerance('last_hidden_state');
    const got = out.lastHiddenState.data as Float32Array;
    const { maxAbsErr } = compareFloats('base head', got, golden.f32('last_hidden_state'), atol, 0);
    expect(maxAbsErr).toBeLessThan(atol);
    await base.dispose();
  });
});
