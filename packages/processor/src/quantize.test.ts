import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProcessorConfigError } from './processor-config-error.js';
import { quantize } from './quantize.js';

const unit = fc.float({ min: -1, max: 1, noNaN: true });

describe('quantize', () => {
  it('picks the cluster with the smallest squared distance, lowest index on ties', () => {
    fc.assert(
      fc.property(
        fc.array(unit, { minLength: 3, maxLength: 60 }),
        fc.array(unit, { minLength: 3, maxLength: 30 }),
        (p, c) => {
          const pixels = Float32Array.from(p.slice(0, p.length - (p.length % 3)));
          const clusters = Float64Array.from(c.slice(0, c.length - (c.length % 3)));
          const ids = quantize(pixels, clusters);
          expect(ids.length).toBe(pixels.length / 3);
          ids.forEach((id, i) => {
            const d = (j: number) => {
              let s = 0;
              for (let t = 0; t < 3; t++)
                s += ((pixels[3 * i + t] as number) - (clusters[3 * j + t] as number)) ** 2;
              return s;
            };
            for (let j = 0; j < clusters.length / 3; j++) {
              if (j < id) expect(d(j)).toBeGreaterThan(d(id));
              else expect(d(j)).toBeGreaterThanOrEqual(d(id));
            }
          });
        },
      ),
    );
  });

  it('sends equidistant pixels to the lowest index', () => {
    expect(Array.from(quantize(new Float32Array([0, 0, 0]), new Float64Array([1, 0, 0, -1, 0, 0])))).toEqual([
      0,
    ]);
    expect(
      Array.from(
        quantize(
          new Float32Array([0.5, 0.5, 0.5]),
          new Float64Array([0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
        ),
      ),
    ).toEqual([1]);
  });

  it('rejects palettes that are not k×3 finite numbers, naming the index', () => {
    expect(() => quantize(new Float32Array(3), new Float64Array(4))).toThrow(ProcessorConfigError);
    expect(() => quantize(new Float32Array(3), new Float64Array([0, 0, 0, 0, Number.NaN, 0]))).toThrow(
      /"clusters\[1\]\[1\]" is NaN/,
    );
    expect(() => quantize(new Float32Array(4), new Float64Array(3))).toThrow(/multiple of 3/);
  });
});
