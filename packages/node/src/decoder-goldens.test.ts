import { type Decoder, ImageGPTRunner, ModelInputError } from '@imagegpt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { compare, type GoldenCase, loadGoldenCase } from './test-utils/goldens.js';

// HF's greedy `generate` (KV cache, 65 tokens) on tiny-generate, reproduced step by step with the
// Decoder: ids exactly, per-step scores within meta.json's atol.
let golden: GoldenCase;
let runner: ImageGPTRunner;

beforeAll(async () => {
  golden = loadGoldenCase('tiny-generate');
  runner = await ImageGPTRunner.create({
    backend: createNodeBackend({ threads: 2 }),
    config: golden.config,
    checkpoint: golden.weights('model.safetensors'),
    head: 'causal',
  });
});
afterAll(async () => {
  await runner.dispose();
});

/** Greedy decoding to n_positions + 1 tokens (ties to the lowest index, like torch.argmax). */
async function greedy(
  decoder: Decoder,
  prompt: number[][],
): Promise<{ ids: number[][]; scores: Float32Array[] }> {
  const V1 = golden.config.vocabSize - 1;
  const ids = prompt.map((row) => [...row]);
  const scores: Float32Array[] = [];
  let next: number[][] = prompt;
  while ((ids[0]?.length as number) < golden.config.nPositions + 1) {
    const logits = await decoder.next(next);
    scores.push(logits);
    next = ids.map((row, b) => {
      let best = 0;
      for (let k = 1; k < V1; k++)
        if ((logits[b * V1 + k] as number) > (logits[b * V1 + best] as number)) best = k;
      row.push(best);
      return [best];
    });
  }
  return { ids, scores };
}

/** Step-major scores → HF's [B, steps, V−1] layout. */
function byRow(scores: Float32Array[], B: number, V1: number): Float32Array {
  const out = new Float32Array(B * scores.length * V1);
  scores.forEach((step, s) => {
    for (let b = 0; b < B; b++) out.set(step.subarray(b * V1, (b + 1) * V1), (b * scores.length + s) * V1);
  });
  return out;
}

describe('Decoder: greedy generation vs HF generate()', () => {
  it.each([
    ['sos', 'greedy_sos_prompt', 'greedy_sos_ids', 'greedy_sos_scores'],
    ['prefix', 'greedy_prefix_prompt', 'greedy_prefix_ids', 'greedy_prefix_scores'],
  ])('from the %s prompt: same ids and per-step scores', async (_, promptName, idsName, scoresName) => {
    const prompt = golden.rows(promptName);
    const decoder = runner.createDecoder(prompt.length);
    const { ids, scores } = await greedy(decoder, prompt);
    expect(decoder.length).toBe(golden.config.nPositions);
    decoder.dispose();

    expect(ids).toEqual(golden.rows(idsName));
    const ref = golden.f32(scoresName);
    const V1 = golden.config.vocabSize - 1;
    const got = { dims: [prompt.length, scores.length, V1], data: byRow(scores, prompt.length, V1) };
    const r = compare(`tiny-generate ${scoresName}`, got, ref, golden.atol(scoresName), golden.rtol);
    expect(r.pass, r.summary).toBe(true);
  });

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

  it('refuses to run past n_positions', async () => {
    const decoder = runner.createDecoder(1);
    const prompt = [
      Array.from({ length: golden.config.nPositions }, (_, i) =>
        i === 0 ? golden.config.sosTokenId : i % 16,
      ),
    ];
    await decoder.next(prompt);
    await expect(decoder.next([[3]])).rejects.toThrow(/exceed n_positions = 64/);
    decoder.dispose();
  });
});
