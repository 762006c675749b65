import { type DecoderKind, ImageGPTRunner, type ModelDType } from '@imagegpt/core';
import { buildImageGPTGraph } from '@imagegpt/core/graph';
import { compareFloats } from '@imagegpt/heads/conformance';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// The fast decoder (GroupQueryAttention, KV cache updated in place) and quantized weights, checked
// against HF's small-causal logits: the fast graph within the golden tolerance at every position,
// quantized weights within measured error bounds.
const backend = createNodeBackend({ threads: 2 });
const golden = goldenCase('small-causal');
const ids = golden.rows('input_ids');
const V1 = golden.config.vocabSize - 1;
const runners: ImageGPTRunner[] = [];
const runnerFor = async (options: { dtype?: ModelDType; decoder?: DecoderKind } = {}) => {
  const runner = await ImageGPTRunner.create({
    backend,
    config: golden.config,
    checkpoint: golden.weights('safetensors'),
    head: 'causal',
    ...options,
  });
  runners.push(runner);
  return runner;
};
afterAll(async () => {
  await Promise.all(runners.map((r) => r.dispose()));
});

/** Feeds `row` one token per step (after a `prompt`-token first step); returns [T, V−1] logits. */
async function decodeAll(runner: ImageGPTRunner, row: number[], prompt: number) {
  const decoder = runner.createDecoder(1);
  const out = new Float32Array(row.length * V1);
  // The first step feeds a prompt; its logits are those of the prompt's last position.
  out.set(await decoder.next([row.slice(0, prompt)]), (prompt - 1) * V1);
  for (let t = prompt; t < row.length; t++) out.set(await decoder.next([[row[t] as number]]), t * V1);
  expect(decoder.length).toBe(row.length);
  decoder.dispose();
  return out;
}

describe('fast decoder on small-causal', () => {
  it('gives HF logits at every position, from a 1-token and a 100-token prompt', async () => {
    const runner = await runnerFor();
    expect(runner.decoder).toBe('fast');
    const row = ids[0] as number[];
    for (const prompt of [1, 100]) {
      const got = await decodeAll(runner, row, prompt);
      golden.expectClose('logits', got, {
        label: `fast decode (prompt ${prompt})`,
        include: (i) => Math.floor(i / V1) >= prompt - 1,
      });
    }
  });

  it('agrees with the reference decoder, and forward() still works on a fast runner', async () => {
    const fast = await runnerFor();
    const reference = await runnerFor({ decoder: 'reference' });
    expect(reference.decoder).toBe('reference');
    const row = (ids[0] as number[]).slice(0, 40);
    const a = await decodeAll(fast, row, 3);
    const b = await decodeAll(reference, row, 3);
    const { atol } = golden.tolerance('logits');
    const { maxAbsErr } = compareFloats('fast vs reference', a, b, atol, 0, (i) => i >= 2 * V1);
    expect(maxAbsErr).toBeLessThan(atol);
    const out = await fast.forward([row]);
    expect(out.logits.dims).toEqual([1, 40, V1]);
  });
});

describe('quantized weights on small-causal', () => {
  // Measured maxima (random dense weights are the hard case for quantization): fp16 3e-3,
  // q8 0.10 (int8 activations too), q4 1.2; the bounds leave about 2x headroom.
  it.each([
    ['fp16', 0.01],
    ['q8', 0.25],
    ['q4', 2.5],
  ] as const)('%s logits stay within %f of HF', async (dtype, bound) => {
    const runner = await runnerFor({ dtype, decoder: 'reference' });
    expect(runner.dtype).toBe(dtype);
    const got = (await runner.forward(ids)).logits.data as Float32Array;
    const { maxAbsErr } = compareFloats(`${dtype} logits`, got, golden.f32('logits'), bound, 0);
    expect(maxAbsErr).toBeLessThan(bound);
    expect(maxAbsErr).toBeGreaterThan(0); // the weights really were stored differently
  });

  it('the quantized graph is smaller: MatMulNBits replaces the float matrices', () => {
    const weights = golden.weights('safetensors');
    const size = (dtype: ModelDType) =>
      buildImageGPTGraph(golden.config, weights, { head: 'causal', dtype }).model.byteLength;
    expect(size('fp16')).toBeLessThan(size('fp32') * 0.7);
    expect(size('q4')).toBeLessThan(size('q8'));
  });
});

describe('graph without past (withPast: false)', () => {
  it('has no cache inputs or outputs and gives the same logits', async () => {
    const weights = golden.weights('safetensors');
    const session = await backend.createSession(
      buildImageGPTGraph(golden.config, weights, { head: 'causal', withPast: false }),
    );
    try {
      expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids']);
      expect(session.outputNames).toEqual(['logits', 'last_hidden_state']);
      const T = ids[0]?.length as number;
      const out = await session.run({
        input_ids: { type: 'int64', dims: [1, T], data: BigInt64Array.from(ids[0] as number[], BigInt) },
        attention_mask: { type: 'int64', dims: [1, T], data: new BigInt64Array(T).fill(1n) },
        position_ids: {
          type: 'int64',
          dims: [1, T],
          data: BigInt64Array.from({ length: T }, (_, t) => BigInt(t)),
        },
      });
      golden.expectClose('logits', out.logits!, { label: 'logits (withPast: false)' });
    } finally {
      await session.dispose();
    }
  });
});
