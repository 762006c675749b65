import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageError } from './image-error.js';
import { PILImageResampling, type PILResample } from './pil-image-resampling.js';
import type { RawImage } from './raw-image.js';
import { MAX_RESIZE_BYTES, resize, resizeBilinear } from './resize.js';

const { NEAREST, LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING } = PILImageResampling;
const ALL_FILTERS: PILResample[] = [NEAREST, LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING];
const CONVOLUTION_FILTERS: PILResample[] = [LANCZOS, BILINEAR, BICUBIC, BOX, HAMMING];

const channelsArb = fc.constantFrom<1 | 3 | 4>(1, 3, 4);
const filterArb = fc.constantFrom(...ALL_FILTERS);
const convolutionArb = fc.constantFrom(...CONVOLUTION_FILTERS);
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

const row = (...values: number[]): RawImage => ({
  width: values.length,
  height: 1,
  channels: 1,
  data: new Uint8Array(values),
});

/*
 * A float64 reference for one convolution pass, written from the filters' textbook definitions
 * (not from the code under test): the filter widened by the downscale factor, weights normalised
 * to sum 1, the sum rounded and clipped to 0..255. Pillow's edges are kept: box is 1 on
 * (-0.5, 0.5], Lanczos-3 is cut to [-3, 3), and Hamming's 0.54/0.46 are float32 values.
 */
const REFERENCE: Record<number, { support: number; f: (x: number) => number }> = {
  [BOX]: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [BILINEAR]: { support: 1, f: (x) => Math.max(0, 1 - Math.abs(x)) },
  [HAMMING]: {
    support: 1,
    f: (x) => {
      const t = Math.abs(x);
      if (t >= 1) return 0;
      if (t === 0) return 1;
      const px = Math.PI * t;
      return (Math.sin(px) / px) * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(px));
    },
  },
  [BICUBIC]: {
    support: 2,
    f: (x) => {
      const t = Math.abs(x);
      if (t < 1) return 1.5 * t ** 3 - 2.5 * t ** 2 + 1;
      if (t < 2) return -0.5 * t ** 3 + 2.5 * t ** 2 - 4 * t + 2;
      return 0;
    },
  },
  [LANCZOS]: {
    support: 3,
    f: (x) => {
      if (x < -3 || x >= 3) return 0;
      const sinc = (t: number) => (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t));
      return sinc(x) * sinc(x / 3);
    },
  },
};

/** One row through the float reference, `inSize` samples to `outSize`. */
function referenceRow(values: ArrayLike<number>, outSize: number, filter: PILResample): number[] {
  const { support, f } = REFERENCE[filter]!;
  const inSize = values.length;
  const scale = inSize / outSize;
  const widen = Math.max(1, scale);
  const out: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support * widen + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support * widen + 0.5));
    let sum = 0;
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const w = f((i + 0.5 - center) / widen);
      sum += w * (values[i] as number);
      total += w;
    }
    out.push(Math.min(255, Math.max(0, Math.round(sum / total))));
  }
  return out;
}

describe('resize with each Pillow filter, on hand-worked cases', () => {
  it('BILINEAR averages the footprint when downscaling: [0, 255] -> 128, as Pillow does', () => {
    expect(Array.from(resizeBilinear(row(0, 255), 1, 1).data)).toEqual([128]);
  });

  it('BILINEAR uses the widened triangle on a 4 -> 1 downscale (weights 5/24, 7/24, 7/24, 5/24)', () => {
    // The triangle spans ±4 source pixels around the center 2.0: 255 * 5/24 = 53.125 -> 53.
    // Plain 2-tap bilinear would sample between pixels 1 and 2 and give 0.
    expect(Array.from(resize(row(0, 0, 0, 255), 1, 1, BILINEAR).data)).toEqual([53]);
  });

  it('BOX averages whole source pixels: 4 -> 2 takes pairs', () => {
    expect(Array.from(resize(row(0, 100, 200, 255), 2, 1, BOX).data)).toEqual([50, 228]);
  });

  it('BICUBIC and LANCZOS overshoot next to an edge and are clipped to 0..255', () => {
    const edge = row(0, 0, 0, 0, 255, 255, 255, 255);
    for (const filter of [BICUBIC, LANCZOS]) {
      const up = Array.from(resize(edge, 32, 1, filter).data);
      // The negative lobes ring: the flat parts dip to 0 and rise to 255 (clipped), unlike bilinear.
      expect(up.filter((v) => v === 0).length).toBeGreaterThan(0);
      expect(up.filter((v) => v === 255).length).toBeGreaterThan(0);
      expect(up.slice(12, 20).some((v) => v > 0 && v < 255)).toBe(true);
    }
  });

  it('NEAREST picks one pixel per output, from the centre of its span: 4 -> 2 keeps pixels 1 and 3', () => {
    expect(Array.from(resize(row(10, 20, 30, 40), 2, 1, NEAREST).data)).toEqual([20, 40]);
    expect(Array.from(resize(row(10, 20, 30), 2, 1, NEAREST).data)).toEqual([10, 30]);
  });

  it("NEAREST steps its source position by repeated addition, as Pillow's affine scale does", () => {
    // 2 -> 7: output 3 sits exactly on the boundary (3.5 * 2/7 = 1), but 2/7 * 0.5 + 3 * 2/7 adds
    // up to 0.9999999999999999 in float64, so Pillow takes source pixel 0 there; computing
    // (x + 0.5) * scale afresh would take pixel 1.
    expect(Array.from(resize(row(0, 255), 7, 1, NEAREST).data)).toEqual([0, 0, 0, 0, 255, 255, 255]);
  });
});

describe('resize properties, for every filter', () => {
  it('keeps a constant image constant at any size', () => {
    fc.assert(
      fc.property(
        sizeArb,
        sizeArb,
        sizeArb,
        sizeArb,
        channelsArb,
        fc.integer({ min: 0, max: 255 }),
        filterArb,
        (w, h, W, H, c, v, filter) => {
          const out = resize(
            { width: w, height: h, channels: c, data: new Uint8Array(w * h * c).fill(v) },
            W,
            H,
            filter,
          );
          expect(out.data.length).toBe(W * H * c);
          expect(out.data.every((x) => x === v)).toBe(true);
        },
      ),
    );
  });

  it('is an exact copy (not a view) at the same size', () => {
    fc.assert(
      fc.property(imageArb, filterArb, (image, filter) => {
        const out = resize(image, image.width, image.height, filter);
        expect(out.data).toEqual(new Uint8Array(image.data));
        expect(out.data).not.toBe(image.data);
      }),
    );
  });

  it('filters channels independently', () => {
    fc.assert(
      fc.property(imageArb, sizeArb, sizeArb, filterArb, (image, W, H, filter) => {
        const out = resize(image, W, H, filter);
        const c = image.channels;
        for (let ch = 0; ch < c; ch++) {
          const plane = new Uint8Array(image.width * image.height);
          for (let i = 0; i < plane.length; i++) plane[i] = image.data[i * c + ch] as number;
          const single = resize({ ...image, channels: 1, data: plane }, W, H, filter);
          for (let i = 0; i < W * H; i++) expect(out.data[i * c + ch]).toBe(single.data[i]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stays within the input range with the non-negative filters (box, bilinear, hamming, nearest)', () => {
    fc.assert(
      fc.property(
        imageArb,
        sizeArb,
        sizeArb,
        fc.constantFrom(NEAREST, BOX, BILINEAR, HAMMING),
        (image, W, H, f) => {
          const out = resize(image, W, H, f);
          const min = Math.min(...image.data);
          const max = Math.max(...image.data);
          expect(out.data.every((v) => v >= min && v <= max)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('resizes the width first, then the height from the 8-bit intermediate', () => {
    // Pillow's order and its rounding between passes: a resize equals its two passes done apart.
    fc.assert(
      fc.property(imageArb, sizeArb, sizeArb, filterArb, (image, W, H, filter) => {
        const wide = resize(image, W, image.height, filter);
        expect(resize(image, W, H, filter).data).toEqual(resize(wide, W, H, filter).data);
      }),
      { numRuns: 60 },
    );
  });

  it('resizes only the axis that changes: each row on its own when the height is kept', () => {
    fc.assert(
      fc.property(imageArb, sizeArb, filterArb, (image, W, filter) => {
        const out = resize(image, W, image.height, filter);
        const rowBytes = image.width * image.channels;
        for (let y = 0; y < image.height; y++) {
          const one = { ...image, height: 1, data: image.data.slice(y * rowBytes, (y + 1) * rowBytes) };
          const expected = resize(one, W, 1, filter).data;
          expect(out.data.slice(y * W * image.channels, (y + 1) * W * image.channels)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('matches a float64 reference within 1 on one axis, up- or downscaling (fixed point rounds once more)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 60 }),
        convolutionArb,
        fc.boolean(),
        (values, outSize, filter, vertical) => {
          const n = values.length;
          const image: RawImage = vertical
            ? { width: 1, height: n, channels: 1, data: values }
            : { width: n, height: 1, channels: 1, data: values };
          const out = vertical ? resize(image, 1, outSize, filter) : resize(image, outSize, 1, filter);
          const expected = n === outSize ? Array.from(values) : referenceRow(values, outSize, filter);
          for (let i = 0; i < outSize; i++) {
            expect(Math.abs((out.data[i] as number) - (expected[i] as number))).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('NEAREST replicates each pixel into a block on an integer upscale', () => {
    fc.assert(
      fc.property(
        imageArb,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        (image, kx, ky) => {
          const { width, height, channels } = image;
          const out = resize(image, width * kx, height * ky, NEAREST);
          for (let y = 0; y < height * ky; y++) {
            for (let x = 0; x < width * kx; x++) {
              const src = (Math.floor(y / ky) * width + Math.floor(x / kx)) * channels;
              const dst = (y * width * kx + x) * channels;
              for (let c = 0; c < channels; c++) expect(out.data[dst + c]).toBe(image.data[src + c]);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('resize input checks', () => {
  it('rejects bad images, targets and filters with an ImageError naming the image', () => {
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
    expect(() => resize(ok, 3, 3, 6 as PILResample, 'a.png')).toThrow(
      new ImageError("unknown resample filter 6; expected one of Pillow's ids 0 to 5 (PILImageResampling)", {
        source: 'a.png',
      }),
    );
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
    expect(() => resize(tall, 1000, 1, NEAREST)).toThrow(/intermediate .* 1000x100000x3/);
  });
});
