import { type DecoderKind, generate, ImageGPTRunner } from '@imagegpt/core';
import { ImageGPTForCausalImageModeling } from '@imagegpt/heads';
import { sharedPath } from '@imagegpt/test-kit';
import { folderSource } from '@imagegpt/test-kit/files';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// Prompts of different lengths in one batch, on both decoders: the fast one runs each prompt on its
// own into its buffers and then steps the batch with per-row positions and masks; the reference one
// left-pads with an attention mask, as HF does. Each row must give the tokens it gives alone, and
// the goldens' greedy scores within their tolerance.
const backend = createNodeBackend({ threads: 2 });
const golden = goldenCase('tiny-generate');
const runners: ImageGPTRunner[] = [];
afterAll(async () => {
  await Promise.all(runners.map((r) => r.dispose()));
});
const runnerFor = async (decoder: DecoderKind) => {
  const runner = await ImageGPTRunner.create({
    backend,
    config: golden.config,
    checkpoint: golden.weights(),
    head: 'causal',
    decoder,
  });
  runners.push(runner);
  return runner;
};

/** Rows `b` of the [steps][B, V−1] scores as one flat [steps, V−1] array. */
const rowScores = (scores: Float32Array[], b: number, steps: number, V: number) =>
  Float32Array.from({ length: steps * V }, (_, i) => scores[Math.floor(i / V)]![b * V + (i % V)]!);

describe.each(['fast', 'reference'] as const)('prompts of different lengths, %s decoder', (kind) => {
  it("gives each row HF's greedy ids and scores (SOS alone and a 24-token prefix in one batch)", async () => {
    const runner = await runnerFor(kind);
    expect(runner.decoder).toBe(kind);
    const sos = golden.rows('greedy_sos_prompt')[0]!;
    const prefix = golden.rows('greedy_prefix_prompt')[1]!;
    const { sequences, scores } = await generate(runner, { prompt: [prefix, sos], outputScores: true });
    expect(sequences[0]).toEqual(golden.rows('greedy_prefix_ids')[1]);
    expect(sequences[1]).toEqual(golden.rows('greedy_sos_ids')[0]);
    expect(scores).toHaveLength(64);
    const V = 16;
    const [, prefixSteps] = golden.shape('greedy_prefix_scores') as [number, number, number];
    // Reference layout [B, steps, V]: row 1 of greedy_prefix_scores, row 0 of greedy_sos_scores.
    const prefixRef = golden.f32('greedy_prefix_scores').subarray(prefixSteps * V, 2 * prefixSteps * V);
    golden.expectClose('greedy_prefix_scores', rowScores(scores!, 0, prefixSteps, V), {
      reference: prefixRef,
      label: `${kind}: prefix row in a ragged batch`,
    });
    golden.expectClose('greedy_sos_scores', rowScores(scores!, 1, 64, V), {
      reference: golden.f32('greedy_sos_scores').subarray(0, 64 * V),
      label: `${kind}: SOS row in a ragged batch`,
    });
    // The prefix row is done after 41 steps: its later scores are NaN.
    expect(scores![prefixSteps]!.subarray(0, V).every(Number.isNaN)).toBe(true);
  });

  it('samples in a ragged batch exactly the tokens each row samples alone', async () => {
    const runner = await runnerFor(kind);
    const prompts = [
      golden.rows('greedy_prefix_prompt')[0]!.slice(0, 9),
      [16],
      golden.rows('greedy_prefix_prompt')[1]!,
    ];
    const options = { doSample: true, seed: 42, temperature: 1.3 } as const;
    const batch = await generate(runner, { ...options, prompt: prompts, outputScores: true });
    for (const [b, prompt] of prompts.entries()) {
      const alone = await generate(runner, {
        ...options,
        prompt: [prompt],
        firstStream: b,
        outputScores: true,
      });
      expect(batch.sequences[b]).toEqual(alone.sequences[0]);
      const steps = alone.scores!.length;
      const mine = rowScores(batch.scores!, b, steps, 16);
      const own = rowScores(alone.scores!, 0, steps, 16);
      // The fast decoder computes a row as it does alone, bit for bit; left padding changes the
      // reference graph's matrix shapes, so there the scores agree within the golden tolerance.
      if (kind === 'fast') expect(mine).toEqual(own);
      else
        golden.expectClose('greedy_sos_scores', mine, {
          reference: own,
          label: `reference: row ${b} vs alone`,
        });
    }
  });
});

describe('complete() with a number of kept rows per image', () => {
  it('completes each image as it completes it alone, in one batch', async () => {
    const model = await ImageGPTForCausalImageModeling.fromSource(
      folderSource(sharedPath('models', 'igpt-mnist-16')),
      {
        backend,
      },
    );
    try {
      const digits = [
        Array.from({ length: 256 }, (_, i) => ((i * 7) % 13 === 0 ? 15 : 0)),
        Array.from({ length: 256 }, (_, i) => (i % 17 === 0 ? 12 : 1)),
      ];
      const options = { doSample: true, seed: 9, numReturnSequences: 2 } as const;
      const both = await model.complete(digits, { ...options, rows: [4, 10] });
      expect(both.map((c) => c.kept.length)).toEqual([64, 160]);
      const first = await model.complete([digits[0]!], { ...options, rows: 4 });
      expect(both[0]!.completions).toEqual(first[0]!.completions);
      // Alone, the second image's sequences are streams 0 and 1; in the batch they are 2 and 3.
      const second = await model.complete([digits[1]!], { ...options, rows: 10, firstStream: 2 });
      expect(both[1]!.completions).toEqual(second[0]!.completions);
      for (const c of both) for (const pixels of c.completions) expect(pixels).toHaveLength(256);
    } finally {
      await model.dispose();
    }
  });
});
