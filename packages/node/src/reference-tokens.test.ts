import { type GenerateResult, generate, ImageGPTRunner } from '@imagegpt/core';
import type { WeightPlacement } from '@imagegpt/core/graph';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { deviceBackend } from './test-utils/device-backend.js';

// The speed paths against the reference (HF transformers' own greedy generate and forward): weights
// handed to the session as in-memory buffers or written into the model bytes, and the decoder that
// keeps the KV cache on a device (played here over onnxruntime-node, as the web's WebGPU path uses
// it). Each must give the reference's greedy tokens and its scores within their tolerance.

const PLACEMENTS: readonly WeightPlacement[] = ['buffers', 'embedded'];
const PROMPTS = ['sos', 'prefix'] as const;

/** Per-step scores [B, V−1] laid out as the reference's [B, steps, V−1]. */
function referenceLayout(result: GenerateResult, v: number): Float32Array {
  const steps = result.scores ?? [];
  const b = result.sequences.length;
  const out = new Float32Array(b * steps.length * v);
  steps.forEach((s, step) => {
    for (let r = 0; r < b; r++) out.set(s.subarray(r * v, (r + 1) * v), (r * steps.length + step) * v);
  });
  return out;
}

async function expectReferenceGreedy(runner: ImageGPTRunner, label: string): Promise<void> {
  const golden = goldenCase('tiny-generate');
  for (const which of PROMPTS) {
    const result = await generate(runner, {
      prompt: golden.rows(`greedy_${which}_prompt`),
      maxLength: golden.config.nPositions + 1,
      doSample: false,
      outputScores: true,
    });
    expect(result.sequences, `${label}: greedy ids from the ${which} prompt`).toEqual(
      golden.rows(`greedy_${which}_ids`),
    );
    golden.expectClose(`greedy_${which}_scores`, referenceLayout(result, golden.config.vocabSize - 1), {
      label: `${label}: greedy_${which}_scores`,
    });
  }
}

describe('the speed paths give the reference’s tokens', () => {
  const cpu = createNodeBackend({ threads: 1 });

  for (const weights of PLACEMENTS) {
    it(`weights as ${weights}: greedy ids and scores of tiny-generate, logits of small-causal`, async () => {
      const golden = goldenCase('tiny-generate');
      const runner = await ImageGPTRunner.create({
        backend: cpu,
        config: golden.config,
        checkpoint: golden.weights(),
        head: 'causal',
        weights,
      });
      try {
        expect(runner.decoder).toBe('fast');
        await expectReferenceGreedy(runner, `weights ${weights}`);
      } finally {
        await runner.dispose();
      }
      const small = goldenCase('small-causal');
      const reference = await ImageGPTRunner.create({
        backend: cpu,
        config: small.config,
        checkpoint: small.weights(),
        head: 'causal',
        weights,
      });
      try {
        const out = await reference.forward(small.rows('input_ids'));
        small.expectClose('logits', out.logits, { label: `logits, weights ${weights}` });
      } finally {
        await reference.dispose();
      }
    });
  }

  it('the KV cache on the device: the reference’s greedy ids and scores, no cache byte read back', async () => {
    const golden = goldenCase('tiny-generate');
    const { backend, traffic } = deviceBackend(cpu);
    const runner = await ImageGPTRunner.create({
      backend,
      config: golden.config,
      checkpoint: golden.weights(),
      head: 'causal',
    });
    try {
      expect(runner.cacheOnDevice).toBe(true);
      await expectReferenceGreedy(runner, 'cache on the device');
      expect(traffic.readBacks).toBe(0);
      expect(traffic.live.size).toBe(0);
    } finally {
      await runner.dispose();
    }
  });
});
