import { describe, expect, it } from 'vitest';
import { GenerationError } from './generation-error.js';
import { createRng, type Rng } from './rng.js';
import { argmaxRows, sampleIndex, sampleRows } from './sampling.js';

/** A stand-in generator returning fixed floats, to pin down the inverse-CDF procedure. */
function fixed(...values: number[]): Rng {
  let i = 0;
  return { nextUint32: () => 0, nextFloat: () => values[i++] as number };
}

describe('argmaxRows', () => {
  it('picks the largest entry per row with ties to the lowest index', () => {
    expect(argmaxRows(new Float32Array([1, 3, 3, 0, -Infinity, -2, -2, -5]), 2)).toEqual([1, 1]);
  });
});

describe('sampleIndex (inverse CDF)', () => {
  it('returns the first index whose cumulative probability exceeds u · total', () => {
    const probs = [0.25, 0, 0.5, 0.25];
    expect([0, 0.2499, 0.25, 0.7499, 0.75, 0.99999].map((u) => sampleIndex(probs, fixed(u)))).toEqual([
      0, 0, 2, 2, 3, 3,
    ]);
  });

  it('never returns a zero-probability index, even for u close to 1 with an unnormalised row', () => {
    expect(sampleIndex([0.3, 0.3, 0], fixed(1 - 2 ** -53))).toBe(1);
  });

  it('reads a row at an offset and rejects rows without mass', () => {
    expect(sampleIndex([1, 0, 0, 1], fixed(0.5), 2, 2)).toBe(1);
    expect(() => sampleIndex([0, Number.NaN], fixed(0.5))).toThrow(GenerationError);
  });

  it('matches a 16-way distribution over 20k draws (chi-square)', () => {
    const probs = Float32Array.from({ length: 16 }, (_, i) => (i + 1) ** 1.5);
    const total = probs.reduce((s, p) => s + p, 0);
    const rng = createRng(2024);
    const n = 20_000;
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < n; i++) counts[sampleIndex(probs, rng)]! += 1;
    const chi2 = counts.reduce(
      (s, c, i) => s + (c - (n * (probs[i] as number)) / total) ** 2 / ((n * (probs[i] as number)) / total),
      0,
    );
    expect(chi2).toBeLessThan(37.7); // 15 degrees of freedom, p = 0.001
  });

  it('sampleRows draws row r from rngs[r]', () => {
    const probs = new Float32Array([1, 0, 0, 0, 0, 1]);
    expect(sampleRows(probs, 2, [fixed(0.9), fixed(0.1)])).toEqual([0, 2]);
    expect(() => sampleRows(probs, 2, [fixed(0.5)])).toThrow(/rngs/);
  });
});
