import { describe, expect, it } from 'vitest';
import { softmaxRows } from './softmax.js';

describe('softmaxRows', () => {
  it('normalises each row and maps -Infinity to exactly 0', () => {
    const out = softmaxRows(new Float32Array([0, Math.log(3), -Infinity, 1000, 1000, 1000]), 2);
    expect(out[0]).toBeCloseTo(0.25, 6);
    expect(out[1]).toBeCloseTo(0.75, 6);
    expect(out[2]).toBe(0);
    expect(Array.from(out.subarray(3))).toEqual([1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  });

  it('gives NaN for a row that is entirely -Infinity, like torch', () => {
    expect(Number.isNaN(softmaxRows(new Float32Array([-Infinity, -Infinity]), 1)[0])).toBe(true);
  });
});
