import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageError } from './image-error.js';
import type { RawImage } from './raw-image.js';
import { upscaleNearest } from './upscale-nearest.js';

const image = fc
  .record({
    width: fc.integer({ min: 1, max: 6 }),
    height: fc.integer({ min: 1, max: 6 }),
    channels: fc.constantFrom<1 | 3 | 4>(1, 3, 4),
  })
  .chain(({ width, height, channels }) =>
    fc
      .uint8Array({ minLength: width * height * channels, maxLength: width * height * channels })
      .map((data): RawImage => ({ width, height, channels, data })),
  );

describe('upscaleNearest', () => {
  it('makes each pixel a scale × scale block of itself', () => {
    fc.assert(
      fc.property(image, fc.integer({ min: 1, max: 5 }), (raw, scale) => {
        const big = upscaleNearest(raw, scale);
        expect([big.width, big.height, big.channels]).toEqual([
          raw.width * scale,
          raw.height * scale,
          raw.channels,
        ]);
        for (let y = 0; y < big.height; y++)
          for (let x = 0; x < big.width; x++)
            for (let c = 0; c < raw.channels; c++) {
              const from = (Math.floor(y / scale) * raw.width + Math.floor(x / scale)) * raw.channels + c;
              if (big.data[(y * big.width + x) * raw.channels + c] !== raw.data[from]) return false;
            }
        return true;
      }),
    );
  });

  it('spells out a 2×1 grey image at scale 2', () => {
    const big = upscaleNearest({ width: 2, height: 1, channels: 1, data: Uint8Array.of(7, 200) }, 2);
    expect(Array.from(big.data)).toEqual([7, 7, 200, 200, 7, 7, 200, 200]);
  });

  it('returns the image itself at scale 1', () => {
    const raw: RawImage = { width: 1, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3) };
    expect(upscaleNearest(raw, 1)).toBe(raw);
  });

  it('refuses a scale that is not a positive integer, and a malformed image, naming the caller', () => {
    const raw: RawImage = { width: 1, height: 1, channels: 1, data: Uint8Array.of(0) };
    for (const scale of [0, -2, 1.5, Number.NaN]) {
      expect(() => upscaleNearest(raw, scale, 'encodePng')).toThrow(
        new ImageError(`encodePng: scale must be a positive integer, got ${scale}`),
      );
    }
    expect(() => upscaleNearest({ ...raw, data: new Uint8Array(2) }, 2, 'toImageData')).toThrow(
      /^toImageData: data has 2 bytes, expected/,
    );
  });
});
