import { ACTIVATION_FUNCTIONS, ImageGPTConfig, type ModelHead } from '@imagegpt/config';
import { ImageGPTRunner } from '@imagegpt/core';
import { compareFloats } from '@imagegpt/heads/conformance';
import { expectPass } from '@imagegpt/test-kit/golden';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { randomCheckpoint, referenceForward } from './test-utils/reference-forward.js';

// The goldens cover one config (quick_gelu, default attention switches). Conformance cases may use
// any config, so the graph is checked against a float64 transcription of HF's forward over random
// configs: every activation, scale_attn_weights, scale_attn_by_inverse_layer_idx,
// reorder_and_upcast_attn, n_inner, all heads, padding masks.
const backend = createNodeBackend({ threads: 1 });

/** |got − want| ≤ 5e-5·(1 + |want|) everywhere: float32 against a float64 reference. */
const TOL = 5e-5;

const configArb = fc.record({
  activation_function: fc.constantFrom(...ACTIVATION_FUNCTIONS),
  n_head: fc.constantFrom(1, 2, 4),
  head_dim: fc.constantFrom(2, 4),
  n_layer: fc.integer({ min: 1, max: 3 }),
  n_inner: fc.option(fc.integer({ min: 3, max: 20 }), { nil: null }),
  vocab_size: fc.integer({ min: 2, max: 12 }),
  scale_attn_weights: fc.boolean(),
  scale_attn_by_inverse_layer_idx: fc.boolean(),
  reorder_and_upcast_attn: fc.boolean(),
  layer_norm_epsilon: fc.constantFrom(1e-5, 1e-3),
  num_labels: fc.integer({ min: 1, max: 4 }),
});

describe('ONNX graph vs float64 HF reference on random configs', () => {
  it('matches logits and last hidden state', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.constantFrom<ModelHead>('causal', 'classifier', 'base'),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        async ({ head_dim, ...fields }, head, seed, B, T, padded) => {
          const config = ImageGPTConfig.fromJSON({
            ...fields,
            n_embd: fields.n_head * head_dim,
            n_positions: 12,
          });
          // A bare ImageGPTModel save has no `transformer.` prefix.
          const prefix = head === 'base' && seed % 2 === 0 ? '' : 'transformer.';
          const checkpoint = randomCheckpoint(config, head, seed, prefix);
          const ids = Array.from({ length: B }, (_, b) =>
            Array.from({ length: T }, (_, t) =>
              t === 0 ? config.sosTokenId : (seed + 7 * b + 3 * t) % config.sosTokenId,
            ),
          );
          // Left-pad the last row, keeping at least one real token.
          const mask = ids.map((row, b) =>
            row.map((_, t) => (padded && b === B - 1 && t < Math.floor(T / 2) ? 0 : 1)),
          );
          const runner = await ImageGPTRunner.create({ backend, config, checkpoint, head });
          try {
            const out = await runner.forward(ids, { attentionMask: mask });
            const ref = referenceForward(config, checkpoint, head, ids, mask, prefix);
            const got = out.lastHiddenState.data as Float32Array;
            expectPass(compareFloats('last_hidden_state', got, ref.last.flat(2), TOL, TOL));
            if (head !== 'base') {
              const logits = out.logits.data as Float32Array;
              expectPass(compareFloats('logits', logits, ref.logits.flat(2) as number[], TOL, TOL));
            }
          } finally {
            await runner.dispose();
          }
        },
      ),
      { numRuns: 40, seed: 20240601 },
    );
  });

  // Generation uses the fast decode graph (fused kernels, scale folded into c_attn, the cache held
  // in JS), so it gets the same check: every config option, step by step, against float64 HF.
  it('the fast KV-cached decoder matches at every step', async () => {
    await fc.assert(
      fc.asyncProperty(
        configArb,
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 5 }),
        async ({ head_dim, ...fields }, seed, B, prompt) => {
          const config = ImageGPTConfig.fromJSON({
            ...fields,
            n_embd: fields.n_head * head_dim,
            n_positions: 12,
          });
          const checkpoint = randomCheckpoint(config, 'causal', seed, 'transformer.');
          const T = 10;
          const ids = Array.from({ length: B }, (_, b) =>
            Array.from({ length: T }, (_, t) =>
              t === 0 ? config.sosTokenId : (seed + 5 * b + 3 * t) % config.sosTokenId,
            ),
          );
          const mask = ids.map((row) => row.map(() => 1));
          const ref = referenceForward(config, checkpoint, 'causal', ids, mask, 'transformer.');
          const runner = await ImageGPTRunner.create({
            backend,
            config,
            checkpoint,
            head: 'causal',
            decoder: 'fast',
          });
          const decoder = runner.createDecoder(B);
          try {
            expect(runner.decoder).toBe('fast');
            let logits = await decoder.next(ids.map((row) => row.slice(0, prompt)));
            for (let t = prompt - 1; t < T; t++) {
              const want = ref.logits.flatMap((row) => (row as number[][])[t] as number[]);
              expectPass(compareFloats(`logits at step ${t}`, logits, want, TOL, TOL));
              if (t + 1 < T) logits = await decoder.next(ids.map((row) => [row[t + 1] as number]));
            }
          } finally {
            decoder.dispose();
            await runner.dispose();
          }
        },
      ),
      { numRuns: 30, seed: 20240602 },
    );
  });
});
