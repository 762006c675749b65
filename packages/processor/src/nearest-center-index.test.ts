import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NearestCenterIndex } from './nearest-center-index.js';

function brute(x: number, y: number, z: number, c: Float64Array): [number, number, number] {
  let best = 0;
  let d1 = Number.POSITIVE_INFINITY;
  let d2 = Number.POSITIVE_INFINITY;
  for (let j = 0; j < c.length / 3; j++) {
    const d =
      (x - (c[3 * j] as number)) ** 2 +
      (y - (c[3 * j + 1] as number)) ** 2 +
      (z - (c[3 * j + 2] as number)) ** 2;
    if (d < d1) {
      d2 = d1;
      d1 = d;
      best = j;
    } else if (d < d2) d2 = d;
  }
  return [best, d1, d2];
}

// Coarse values make exact ties and duplicate centers common, which is where pruning could slip.
const coord = fc.integer({ min: -8, max: 8 }).map((v) => v / 8);

describe('NearestCenterIndex', () => {
  it('finds the same nearest center (lowest index on ties) and distances as a plain scan, from any start', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(coord, coord, coord), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(coord, coord, coord), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        (cs, xs, startSeed) => {
          const centers = Float64Array.from(cs.flat());
          const index = new NearestCenterIndex(centers);
          const out = new Float64Array(2);
          for (const [x, y, z] of xs) {
            const [best, d1, d2] = brute(x, y, z, centers);
            for (const start of [startSeed % cs.length, index.guess(x, y, z)]) {
              expect(index.nearestTwo(x, y, z, start, out)).toBe(best);
              expect(out[0]).toBe(d1);
              expect(out[1]).toBe(d2);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives half the distance to the nearest other center', () => {
    const index = new NearestCenterIndex(new Float64Array([0, 0, 0, 1, 0, 0, 0, 0.5, 0]));
    expect(Array.from(index.halfGap)).toEqual([0.25, 0.5, 0.25]);
  });
});
