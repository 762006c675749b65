import { goldenCase } from '@imagegpt/test-kit/golden';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GenerationError } from './generation-error.js';
import { applyWarpers, temperatureWarp, topKWarp, topPWarp } from './logits-warpers.js';
import { softmaxRows } from './softmax.js';

// HF's warpers on the same scores: the conformance suite's allclose at meta.json's tolerance, with
// −inf required in the same places.
const golden = goldenCase('tiny-generate');
const raw = golden.f32('warp_scores');
const ROWS = 4;

describe('logits warpers match HF transformers 4.31 (tiny-generate goldens)', () => {
  const cases: [string, Float32Array][] = [
    ['warp_temperature_0.7', temperatureWarp(raw, ROWS, 0.7)],
    ['warp_top_k_5', topKWarp(raw, ROWS, 5)],
    ['warp_top_p_0.9', topPWarp(raw, ROWS, 0.9)],
    ['warp_chain', applyWarpers(raw, ROWS, { temperature: 0.7, topK: 5, topP: 0.9 })],
  ];
  for (const [name, warped] of cases) {
    it(`${name} and its softmax`, () => {
      golden.expectClose(name, warped);
      golden.expectClose(`${name}_probs`, softmaxRows(warped, ROWS));
    });
  }

  it('keeps the documented number of tokens per row', () => {
    const kept = (m: Float32Array) =>
      Array.from(
        { length: ROWS },
        (_, r) => m.subarray(r * 16, r * 16 + 16).filter((v) => v !== -Infinity).length,
      );
    expect(kept(topKWarp(raw, ROWS, 5))).toEqual([5, 5, 5, 5]);
    expect(kept(topPWarp(raw, ROWS, 0.9))).toEqual([10, 10, 10, 6]);
    expect(kept(applyWarpers(raw, ROWS, { temperature: 0.7, topK: 5, topP: 0.9 }))).toEqual([5, 5, 4, 2]);
  });
});

describe('warper semantics', () => {
  it('top-k keeps every tie at the k-th value', () => {
    const out = topKWarp(new Float32Array([1, 3, 2, 2, 0]), 1, 2);
    expect(Array.from(out)).toEqual([-Infinity, 3, 2, 2, -Infinity]);
  });

  it('top-k clamps k to the vocabulary and to minTokensToKeep', () => {
    const row = new Float32Array([0.5, -1, 2]);
    expect(Array.from(topKWarp(row, 1, 10))).toEqual([0.5, -1, 2]);
    expect(Array.from(topKWarp(row, 1, 1, 2))).toEqual([0.5, -Infinity, 2]);
  });

  it('top-p 0 keeps only the best token; top-p 1 is the identity in the chain', () => {
    expect(Array.from(topPWarp(new Float32Array([0, 5, 1]), 1, 0))).toEqual([-Infinity, 5, -Infinity]);
    expect(Array.from(applyWarpers(raw, ROWS, { topP: 1, topK: 0, temperature: 1 }))).toEqual(
      Array.from(raw),
    );
  });

  it('never modifies its input and always returns a new array', () => {
    const copy = Float32Array.from(raw);
    const out = applyWarpers(raw, ROWS, {});
    expect(out).not.toBe(raw);
    temperatureWarp(raw, ROWS, 0.5);
    topKWarp(raw, ROWS, 3);
    topPWarp(raw, ROWS, 0.5);
    expect(raw).toEqual(copy);
  });

  it('filters keep the argmax and only ever remove tokens (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, k, p) => {
          const row = Float32Array.from(values);
          const max = Math.max(...row);
          for (const out of [topKWarp(row, 1, k), topPWarp(row, 1, p)]) {
            // With ties at the top, which of them survives top-p follows the (stable) sort order.
            expect(row.some((v, i) => v === max && out[i] === v)).toBe(true);
            expect(out.every((v, i) => v === -Infinity || v === row[i])).toBe(true);
          }
          const kept = topKWarp(row, 1, k).filter((v) => v !== -Infinity).length;
          expect(kept).toBeGreaterThanOrEqual(Math.min(k, row.length));
          const probs = softmaxRows(topPWarp(row, 1, p), 1);
          const mass = softmaxRows(row, 1).reduce((s, q, i) => s + ((probs[i] as number) > 0 ? q : 0), 0);
          expect(mass).toBeGreaterThanOrEqual(Math.min(p, 1) - 1e-5);
        },
      ),
    );
  });

  it('rejects invalid parameters with GenerationError naming the option', () => {
    expect(() => temperatureWarp(raw, ROWS, 0)).toThrow(/temperature/);
    expect(() => topKWarp(raw, ROWS, 0)).toThrow(GenerationError);
    expect(() => topPWarp(raw, ROWS, 1.5)).toThrow(/topP/);
    expect(() => softmaxRows(raw, 3)).toThrow(/not 3 non-empty rows/);
  });
});
