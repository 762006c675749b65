import type { ModelHead } from '@imagegpt/config';
import { ImageGPTRunner } from '@imagegpt/core';
import { type Computed, goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// The fused whole-sequence graph (prefill: 'fused') against HF's goldens at their tolerances.
const backend = createNodeBackend({ threads: 2 });
const runners: ImageGPTRunner[] = [];
afterAll(async () => {
  await Promise.all(runners.map((r) => r.dispose()));
});
async function fusedRunner(name: string, head: ModelHead) {
  const golden = goldenCase(name);
  const runner = await ImageGPTRunner.create({
    backend,
    config: golden.config,
    checkpoint: golden.weights('safetensors'),
    head,
    prefill: 'fused',
  });
  runners.push(runner);
  return { golden, runner };
}

describe('fused prefill vs HF goldens', () => {
  it.each(['tiny-causal', 'small-causal'])('%s: logits, hidden states and cache', async (name) => {
    const { golden, runner } = await fusedRunner(name, 'causal');
    const out = await runner.forward(golden.rows('input_ids'), { outputHiddenStates: true });
    let compared = 0;
    const check = (label: string, got: Computed | undefined) => {
      expect(got, label).toBeDefined();
      // Each case stores a subset (small-causal has no cache or last_hidden_state tensors).
      if (!golden.io.has(label)) return;
      compared++;
      golden.expectClose(label, got, { label: `${label} (fused prefill)` });
    };
    check('logits', out.logits);
    check('last_hidden_state', out.lastHiddenState);
    for (const [i, h] of (out.hiddenStates ?? []).entries()) check(`hidden_states.${i}`, h);
    out.presents.layers.forEach((layer, l) => {
      check(`past_key_values.${l}.key`, layer.key);
      check(`past_key_values.${l}.value`, layer.value);
    });
    expect(compared).toBeGreaterThanOrEqual(name === 'tiny-causal' ? 8 : 5);
  });
});
