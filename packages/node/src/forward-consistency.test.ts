import type { ModelHead } from '@imagegpt/config';
import { ImageGPTRunner, WEIGHT_FORMATS, type WeightFormat } from '@imagegpt/core';
import { type GoldenCase, goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// What the conformance suite (conformance.test.ts) does not check about a forward pass: logits at
// padded query positions match HF too, a cached continuation equals the uncached forward, and there
// are exactly n_layer + 1 hidden states. Compared as the suite compares, for both weight formats.
const backend = createNodeBackend({ threads: 2 });

const runners: ImageGPTRunner[] = [];
async function runnerFor(golden: GoldenCase, format: WeightFormat, head: ModelHead): Promise<ImageGPTRunner> {
  const runner = await ImageGPTRunner.create({
    backend,
    config: golden.config,
    checkpoint: golden.weights(format),
    head,
  });
  runners.push(runner);
  return runner;
}
afterAll(async () => {
  await Promise.all(runners.map((r) => r.dispose()));
});

/** Positions [from, to) of every row of a [B, T, ...] tensor. */
function sliceSequence(
  t: { dims: readonly number[]; data: unknown },
  from: number,
  to: number,
): Float32Array {
  const [B = 1, T = 1, ...rest] = t.dims;
  const inner = rest.reduce((a, b) => a * b, 1);
  const src = t.data as Float32Array;
  const out = new Float32Array(B * (to - from) * inner);
  for (let b = 0; b < B; b++)
    out.set(src.subarray((b * T + from) * inner, (b * T + to) * inner), b * (to - from) * inner);
  return out;
}

describe.each(WEIGHT_FORMATS)('forward invariants beyond the conformance suite (%s)', (format) => {
  it('tiny-causal: exactly n_layer + 1 hidden states, and a cache over all 64 positions', async () => {
    const golden = goldenCase('tiny-causal');
    const runner = await runnerFor(golden, format, 'causal');
    const out = await runner.forward(golden.rows('input_ids'), { outputHiddenStates: true });
    expect(out.hiddenStates).toHaveLength(golden.config.nLayer + 1);
    expect(out.presents.length).toBe(64);
  });

  it('tiny-causal: the 40 + 24 split with the KV cache equals the uncached forward at 40..63', async () => {
    const golden = goldenCase('tiny-causal');
    const runner = await runnerFor(golden, format, 'causal');
    const a = await runner.forward(golden.rows('split_input_ids_a'));
    const b = await runner.forward(golden.rows('split_input_ids_b'), { past: a.presents });
    expect(b.presents.length).toBe(64);
    const full = await runner.forward(golden.rows('input_ids'));
    golden.expectClose('logits', b.logits.data as Float32Array, {
      label: 'split b vs the full forward',
      reference: sliceSequence(full.logits, 40, 64),
    });
  });

  it('tiny-causal-mask: logits match HF at padded query positions too', async () => {
    // The suite may leave padded queries out (CONFORMANCE.md); we reproduce HF's float32 arithmetic
    // there as well (uniform attention), so every query position is compared here.
    const golden = goldenCase('tiny-causal-mask');
    const runner = await runnerFor(golden, format, 'causal');
    const out = await runner.forward(golden.rows('input_ids'), {
      attentionMask: golden.rows('attention_mask'),
    });
    golden.expectClose('logits', out.logits, { label: 'logits (all queries)' });
  });
});
