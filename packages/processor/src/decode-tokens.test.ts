import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTokens } from './decode-tokens.js';
import { ImageError } from './image-error.js';
import { normalize } from './normalize.js';
import { quantize } from './quantize.js';

describe('decodeTokens', () => {
  it('inverts encoding for images drawn from the palette colours', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 0xffffff }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.infiniteStream(fc.nat()),
        (colours, w, h, picks) => {
          const rgb = colours.flatMap((c) => [c >> 16, (c >> 8) & 255, c & 255]);
          const clusters = Float64Array.from(
            normalize({ width: colours.length, height: 1, channels: 3, data: Uint8Array.from(rgb) }),
          );
          const it = picks[Symbol.iterator]();
          const data = new Uint8Array(w * h * 3);
          for (let i = 0; i < w * h; i++) {
            const pick = (it.next().value as number) % colours.length;
            data.set(rgb.slice(3 * pick, 3 * pick + 3), 3 * i);
          }
          const ids = quantize(normalize({ width: w, height: h, channels: 3, data }), clusters);
          const back = decodeTokens(ids, clusters, w, h);
          expect(back.width).toBe(w);
          expect(back.data).toEqual(data);
        },
      ),
    );
  });

  it('rejects ids outside the palette and wrong counts with an ImageError', () => {
    const clusters = new Float64Array([-1, -1, -1, 1, 1, 1]);
    expect(() => decodeTokens([0, 2], clusters, 2, 1)).toThrow(ImageError);
    expect(() => decodeTokens([0, -1], clusters, 2, 1)).toThrow(/token 1 is -1/);
    expect(() => decodeTokens([0, 0.5], clusters, 2, 1)).toThrow(/token 1 is 0.5/);
    expect(() => decodeTokens([0, 1, 1], clusters, 2, 1)).toThrow(/got 3 ids, expected width\*height/);
  });
});
