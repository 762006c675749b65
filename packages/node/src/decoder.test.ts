import { ImageGPTRunner, ModelInputError } from '@imagegpt/core';
import { type GoldenCase, goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// The Decoder's contract on the tiny-generate model. Its greedy ids and per-step scores against HF's
// generate() are the conformance suite's greedy_* outputs (conformance.test.ts).
let golden: GoldenCase;
let runner: ImageGPTRunner;

beforeAll(async () => {
  golden = goldenCase('tiny-generate');
  runner = await ImageGPTRunner.create({
    backend: createNodeBackend({ threads: 2 }),
    config: golden.config,
    checkpoint: golden.weights('safetensors'),
    head: 'causal',
  });
});
afterAll(async () => {
  await runner.dispose();
});

describe('Decoder', () => {
  it('checks the batch size and refuses use after dispose', async () => {
    const sos = golden.config.sosTokenId;
    const decoder = runner.createDecoder(2);
    await expect(decoder.next([[sos]])).rejects.toThrow(ModelInputError);
    await decoder.next([[sos], [sos]]);
    expect(decoder.length).toBe(1);
    decoder.dispose();
    await expect(decoder.next([[1], [2]])).rejects.toThrow(/dispose/);
    expect(() => runner.createDecoder(0)).toThrow(ModelInputError);
  });

  it('holds n_positions tokens and refuses to run past them', async () => {
    const decoder = runner.createDecoder(1);
    const prompt = [
      Array.from({ length: golden.config.nPositions }, (_, i) =>
        i === 0 ? golden.config.sosTokenId : i % 16,
      ),
    ];
    await decoder.next(prompt);
    expect(decoder.length).toBe(golden.config.nPositions);
    await expect(decoder.next([[3]])).rejects.toThrow(/exceed n_positions = 64/);
    decoder.dispose();
  });
});
