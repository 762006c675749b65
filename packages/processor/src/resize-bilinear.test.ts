import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageError } from './image-error.js';
import type { RawImage } from './raw-image.js';
import { MAX_RESIZE_BYTES, resizeBilinear } from './resize-bilinear.js';

const channelsArb = fc.constantFrom<1 | 3 | 4>(1, 3, 4);
const imageArb = fc
  .record({
    width: fc.integer({ min: 1, max: 24 }),
    height: fc.integer({ min: 1, max: 24 }),
    channels: channelsArb,
  })
  .chain(({ width, height, channels }) =>
    fc
      .uint8Array({ minLength: width * height * channels, maxLength: width * height * channels })
      .map((data): RawImage => ({ width, height, channels, data })),
  );
const sizeArb = fc.integer({ min: 1, max: 40 });

describe('resizeBilinear (Pillow BILINEAR)', () => {
  it('averages the footprint when downscaling: [0, 255] -> 128, as Pillow does', () => {
    const out = resizeBilinear({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) }, 1, 1);
    expect(Array.from(out.data)).toEqual([128]);
  });

  it('uses the widened triangle on a 4 -> 1 downscale (weights 5/24, 7/24, 7/24, 5/24)', () => {
    const out = resizeBilinear(
      { width: 4, height: 1, channels: 1, data: new Uint8Array([0, 0, 0, 255]) },
      1,
      1,
    );
    // The triangle spans ±4 source pixels around the center 2.0: 255 * 5/24 = 53.125 -> 53.
    // Plain 2-tap bilinear would sample between pixels 1 and 2 and give 0.
    expect(Array.from(out.data)).toEqual([53]);
  });

  it('keeps a constant image constant at any size', () => {
    fc.assert(
      fc.property(
        sizeArb,
        sizeArb,
        sizeArb,
        sizeArb,
        channelsArb,
        fc.integer({ min: 0, max: 255 }),
        (w, h, W, H, c, v) => {
          const out = resizeBilinear(
            { width: w, height: h, channels: c, data: new Uint8Array(w * h * c).fill(v) },
            W,
            H,
          );
          expect(out.data.length).toBe(W * H * c);
          expect(out.data.every((x) => x === v)).toBe(true);
        },
      ),
    );
  });

  it('is an exact copy (not a view) at the same size', () => {
    fc.assert(
      fc.property(imageArb, (image) => {
        const out = resizeBilinear(image, image.width, image.height);
        expect(out.data).toEqual(new Uint8Array(image.data));
        expect(out.data).not.toBe(image.data);
      }),
    );
  });

  it('stays within the input range and filters channels independently', () => {
    fc.assert(
      fc.property(imageArb, sizeArb, sizeArb, (image, W, H) => {
        const out = resizeBilinear(image, W, H);
        const c = image.channels;
        for (let ch = 0; ch < c; ch++) {
          const plane = new Uint8Array(image.width * image.height);
          for (let i = 0; i < plane.length; i++) plane[i] = image.data[i * c + ch] as number;
          const single = resizeBilinear(
            { width: image.width, height: image.height, channels: 1, data: plane },
            W,
            H,
          );
          const min = Math.min(...plane);
          const max = Math.max(...plane);
          for (let i = 0; i < W * H; i++) {
            const v = out.data[i * c + ch] as number;
            expect(v).toBe(single.data[i]);
            expect(v >= min && v <= max).toBe(true);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('resizes only the axis that changes', () => {
    // Height unchanged: each row is resized on its own, so a one-row image predicts every row.
    fc.assert(
      fc.property(imageArb, sizeArb, (image, W) => {
        const out = resizeBilinear(image, W, image.height);
        const rowBytes = image.width * image.channels;
        for (let y = 0; y < image.height; y++) {
          const row = { ...image, height: 1, data: image.data.slice(y * rowBytes, (y + 1) * rowBytes) };
          const expected = resizeBilinear(row, W, 1).data;
          expect(out.data.slice(y * W * image.channels, (y + 1) * W * image.channels)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('rejects bad images and targets with an ImageError naming the image', () => {
    const ok = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12) };
    expect(() => resizeBilinear({ ...ok, width: 0, data: new Uint8Array(0) }, 2, 2, 'a.png')).toThrow(
      /a\.png: width and height/,
    );
    expect(() => resizeBilinear({ ...ok, channels: 2 as unknown as 3 }, 2, 2)).toThrow(ImageError);
    expect(() => resizeBilinear({ ...ok, data: new Uint8Array(11) }, 2, 2)).toThrow(
      /11 bytes, expected .* = 12/,
    );
    expect(() => resizeBilinear(ok, 0, 2)).toThrow(/resize target/);
    expect(() => resizeBilinear(ok, 2.5, 2)).toThrow(ImageError);
    // 20000x20000x3 is 1.2 GB: refused before allocating, as an ImageError rather than a RangeError.
    expect(() => resizeBilinear(ok, 20_000, 20_000, 'a.png')).toThrow(
      new ImageError(
        `resize target 20000x20000x3 is 1200000000 bytes, over the ${MAX_RESIZE_BYTES}-byte limit`,
        {
          source: 'a.png',
        },
      ),
    );
    // The intermediate (target width by input height) counts too: a tall input stretched wide.
    const tall = { width: 1, height: 100_000, channels: 3 as const, data: new Uint8Array(300_000) };
    expect(() => resizeBilinear(tall, 1000, 1)).toThrow(/intermediate .* 1000x100000x3/);
  });
});
