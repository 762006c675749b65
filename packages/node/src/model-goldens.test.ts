import { type HeadKind, ImageGPTRunner } from '@imagegpt/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import {
  compare,
  crossEntropy,
  type GoldenCase,
  loadGoldenCase,
  sliceSequence,
  WEIGHT_FILES,
  type WeightFile,
} from './test-utils/goldens.js';

// HF's own outputs (transformers 4.31, float32 CPU) for each public model case, matched with
// numpy.allclose at meta.json's suggested atol and rtol 1e-4, for both weight formats.
const backend = createNodeBackend({ threads: 2 });

const runners: ImageGPTRunner[] = [];
async function runnerFor(golden: GoldenCase, file: WeightFile, head: HeadKind): Promise<ImageGPTRunner> {
  const runner = await ImageGPTRunner.create({
    backend,
    config: golden.config,
    checkpoint: golden.weights(file),
    head,
  });
  runners.push(runner);
  return runner;
}
afterAll(async () => {
  await Promise.all(runners.map((r) => r.dispose()));
});

function expectClose(
  golden: GoldenCase,
  label: string,
  got: Parameters<typeof compare>[1] | undefined,
  ref = label,
  include?: (i: number) => boolean,
) {
  expect(got, `${golden.name} ${label} missing`).toBeDefined();
  const result = compare(
    `${golden.name} ${label}`,
    got as Parameters<typeof compare>[1],
    golden.f32(ref),
    golden.atol(ref),
    golden.rtol,
    include,
  );
  expect(result.pass, result.summary).toBe(true);
}

describe.each(WEIGHT_FILES)('ImageGPT forward vs HF goldens (%s)', (file) => {
  it('tiny-causal: logits, hidden states, cache and loss of the full forward', async () => {
    const golden = loadGoldenCase('tiny-causal');
    const runner = await runnerFor(golden, file, 'causal');
    const ids = golden.rows('input_ids');
    const out = await runner.forward(ids, { outputHiddenStates: true });
    expectClose(golden, 'logits', out.logits);
    expectClose(golden, 'last_hidden_state', out.lastHiddenState);
    expect(out.hiddenStates).toHaveLength(golden.config.nLayer + 1);
    for (const [i, h] of (out.hiddenStates ?? []).entries()) expectClose(golden, `hidden_states.${i}`, h);
    expect(out.presents.length).toBe(64);
    out.presents.layers.forEach((layer, l) => {
      expectClose(golden, `past_key_values.${l}.key`, layer.key);
      expectClose(golden, `past_key_values.${l}.value`, layer.value);
    });

    // loss = mean CE of logits[:, :-1] against labels[:, 1:], in float64.
    const labels = golden.rows('labels');
    const [B, T, V] = out.logits.dims as [number, number, number];
    const pairs: [number, number][] = [];
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T - 1; t++) pairs.push([b * T + t, labels[b]?.[t + 1] as number]);
    const loss = crossEntropy(out.logits.data as Float32Array, V, pairs);
    expectClose(golden, 'loss', { dims: [], data: Float32Array.of(loss) });
  });

  it('tiny-causal: a forward split 40 + 24 with the KV cache matches HF and the full forward', async () => {
    const golden = loadGoldenCase('tiny-causal');
    const runner = await runnerFor(golden, file, 'causal');
    const a = await runner.forward(golden.rows('split_input_ids_a'));
    const b = await runner.forward(golden.rows('split_input_ids_b'), { past: a.presents });
    expectClose(golden, 'split_logits_a', a.logits);
    expectClose(golden, 'split_logits_b', b.logits);
    expect(b.presents.length).toBe(64);
    for (let l = 0; l < golden.config.nLayer; l++) {
      for (const part of ['key', 'value'] as const) {
        expectClose(golden, `split_past_key_values_a.${l}.${part}`, a.presents.layers[l]?.[part]);
        expectClose(golden, `split_past_key_values_b.${l}.${part}`, b.presents.layers[l]?.[part]);
      }
    }
    // The cached continuation equals the uncached full forward at positions 40..63.
    const full = await runner.forward(golden.rows('input_ids'));
    const fullTail = sliceSequence(full.logits, 40, 64);
    const r = compare('split b vs full', b.logits, fullTail, golden.atol('logits'), golden.rtol);
    expect(r.pass, r.summary).toBe(true);
  });

  it('tiny-causal-mask: padded rows, explicit position ids, unpadded row', async () => {
    const golden = loadGoldenCase('tiny-causal-mask');
    const runner = await runnerFor(golden, file, 'causal');
    const ids = golden.rows('input_ids');
    const mask = golden.rows('attention_mask');
    const V1 = golden.config.vocabSize - 1;
    const T = ids[0]?.length as number;
    const real = (i: number) => mask[Math.floor(i / (T * V1))]?.[Math.floor(i / V1) % T] === 1;

    const out = await runner.forward(ids, { attentionMask: mask });
    expectClose(golden, 'logits (real queries)', out.logits, 'logits', real);
    // We reproduce HF's float32 arithmetic at padded queries too (uniform attention), so all match.
    expectClose(golden, 'logits (all queries)', out.logits, 'logits');

    const withPositions = await runner.forward(ids, {
      attentionMask: mask,
      positionIds: golden.rows('position_ids'),
    });
    expectClose(golden, 'logits_with_position_ids', withPositions.logits);

    const unpadded = await runner.forward(golden.rows('row1_unpadded_input_ids'));
    expectClose(golden, 'row1_unpadded_logits', unpadded.logits);
  });

  it('tiny-classify: last hidden state, pooled, logits and loss', async () => {
    const golden = loadGoldenCase('tiny-classify');
    const runner = await runnerFor(golden, file, 'classifier');
    const out = await runner.forward(golden.rows('input_ids'));
    expectClose(golden, 'last_hidden_state', out.lastHiddenState);
    expectClose(golden, 'pooled', out.pooled);
    expectClose(golden, 'logits', out.logits);
    const labels = golden.io.int64('labels');
    const K = golden.config.numLabels;
    const loss = crossEntropy(
      out.logits.data as Float32Array,
      K,
      Array.from(labels, (l, b) => [b, Number(l)] as [number, number]),
    );
    expectClose(golden, 'loss', { dims: [], data: Float32Array.of(loss) });
  });

  it('small-causal: logits and hidden states over 256 positions', async () => {
    const golden = loadGoldenCase('small-causal');
    const runner = await runnerFor(golden, file, 'causal');
    const out = await runner.forward(golden.rows('input_ids'), { outputHiddenStates: true });
    expectClose(golden, 'logits', out.logits);
    for (const [i, h] of (out.hiddenStates ?? []).entries()) expectClose(golden, `hidden_states.${i}`, h);
    expect(out.hiddenStates).toHaveLength(4);
  });
});
