import { ImageError } from './image-error.js';
import type { RawImage } from './raw-image.js';
import { assertRawImage } from './raw-image.js';

/*
 * Pillow 9.4's `Image.resize(size, BILINEAR)` for 8-bit images (libImaging/Resample.c), reproduced
 * for bit-exact results. The details that matter:
 *  - The triangle filter's support (1) is widened by the scale factor when downscaling, so a
 *    downscale averages every source pixel under the footprint (antialiasing), not just 2 taps.
 *  - Coefficients are computed in float64, normalised to sum 1, then turned into 22-bit fixed point
 *    by adding ±0.5 and truncating towards zero.
 *  - Each output sample starts from a rounding bias of 2^21, accumulates value*coefficient in
 *    integers, and is clipped to 0..255 after an arithmetic shift by 22.
 *  - Two passes: horizontal first, then vertical, with the intermediate image stored as 8 bits
 *    (so it is rounded and clipped between passes). A pass is skipped when that dimension is
 *    unchanged, which makes a same-size resize an exact copy.
 */

/**
 * The most bytes {@link resizeBilinear} will allocate for its result (or its intermediate, after
 * the horizontal pass): 256 MiB, an 8192×8192 RGBA image. Larger targets are refused up front
 * rather than left to fail in the allocator, or to succeed and exhaust the heap.
 */
export const MAX_RESIZE_BYTES = 2 ** 28;

const PRECISION_BITS = 32 - 8 - 2;
const ROUNDING_BIAS = 1 << (PRECISION_BITS - 1);
/** Bilinear's half-width before widening by the downscale factor. */
const BILINEAR_SUPPORT = 1;

/** Per output position along one axis: where its source window starts, how long it is, and its fixed-point weights. */
interface AxisCoefficients {
  readonly starts: Int32Array;
  readonly counts: Int32Array;
  /** `out * ksize` weights; row `i` holds `counts[i]` used entries. */
  readonly weights: Int32Array;
  readonly ksize: number;
}

function bilinearFilter(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

function axisCoefficients(inSize: number, outSize: number): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = BILINEAR_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const invFilterScale = 1 / filterScale;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const raw = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates towards zero; Math.trunc keeps that for the negative case too.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    const count = xmax - xmin;
    let sum = 0;
    for (let x = 0; x < count; x++) {
      // Same operation order as Pillow: (int(x + xmin) - center + 0.5) * (1 / filterscale).
      const w = bilinearFilter((x + xmin - center + 0.5) * invFilterScale);
      raw[x] = w;
      sum += w;
    }
    const base = xx * ksize;
    for (let x = 0; x < count; x++) {
      const k = sum !== 0 ? (raw[x] as number) / sum : (raw[x] as number);
      const scaled = k * (1 << PRECISION_BITS);
      weights[base + x] = Math.trunc(k < 0 ? scaled - 0.5 : scaled + 0.5);
    }
    starts[xx] = xmin;
    counts[xx] = count;
  }
  return { starts, counts, weights, ksize };
}

function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return Math.min(255, Math.max(0, v));
}

function resampleHorizontal(
  src: Uint8Array | Uint8ClampedArray,
  inWidth: number,
  height: number,
  channels: number,
  outWidth: number,
): Uint8Array {
  const { starts, counts, weights, ksize } = axisCoefficients(inWidth, outWidth);
  const out = new Uint8Array(outWidth * height * channels);
  for (let y = 0; y < height; y++) {
    const rowIn = y * inWidth * channels;
    const rowOut = y * outWidth * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const start = starts[xx] as number;
      const count = counts[xx] as number;
      const kBase = xx * ksize;
      for (let c = 0; c < channels; c++) {
        let acc = ROUNDING_BIAS;
        let p = rowIn + start * channels + c;
        for (let x = 0; x < count; x++, p += channels) {
          acc += (src[p] as number) * (weights[kBase + x] as number);
        }
        out[rowOut + xx * channels + c] = clip8(acc);
      }
    }
  }
  return out;
}

function resampleVertical(
  src: Uint8Array | Uint8ClampedArray,
  width: number,
  inHeight: number,
  channels: number,
  outHeight: number,
): Uint8Array {
  const { starts, counts, weights, ksize } = axisCoefficients(inHeight, outHeight);
  const stride = width * channels;
  const out = new Uint8Array(stride * outHeight);
  for (let yy = 0; yy < outHeight; yy++) {
    const start = starts[yy] as number;
    const count = counts[yy] as number;
    const kBase = yy * ksize;
    for (let i = 0; i < stride; i++) {
      let acc = ROUNDING_BIAS;
      let p = start * stride + i;
      for (let y = 0; y < count; y++, p += stride) {
        acc += (src[p] as number) * (weights[kBase + y] as number);
      }
      out[yy * stride + i] = clip8(acc);
    }
  }
  return out;
}

/**
 * Resizes an 8-bit image to `width`×`height` exactly as Pillow 9.4's
 * `Image.resize((width, height), Image.BILINEAR)` does for `L` and `RGB` images (bit for bit):
 * antialiased when downscaling, separable, fixed-point. Channels are filtered independently; for a
 * 4-channel image this differs from Pillow, which premultiplies alpha first (call {@link toRGB}
 * first, as the ImageGPT processor does). A same-size resize returns an exact copy.
 *
 * @example
 * const small = resizeBilinear(image, 32, 32); // small.width === 32, small.height === 32
 */
export function resizeBilinear(image: RawImage, width: number, height: number, source?: string): RawImage {
  assertRawImage(image, source);
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new ImageError(
      `resize target must be positive integers, got ${String(width)}x${String(height)}`,
      source === undefined ? {} : { source },
    );
  }
  const { channels } = image;
  // Checked in doubles before any allocation, so an absurd target cannot overflow into a small one.
  for (const [what, w, h] of [
    ['target', width, height],
    ['intermediate (target width × input height)', width, image.height],
  ] as const) {
    if (w * h * channels > MAX_RESIZE_BYTES) {
      throw new ImageError(
        `resize ${what} ${w}x${h}x${channels} is ${w * h * channels} bytes, over the ${MAX_RESIZE_BYTES}-byte limit`,
        source === undefined ? {} : { source },
      );
    }
  }
  let data: Uint8Array | Uint8ClampedArray = image.data;
  let currentWidth = image.width;
  if (width !== image.width) {
    data = resampleHorizontal(data, image.width, image.height, channels, width);
    currentWidth = width;
  }
  if (height !== image.height) {
    data = resampleVertical(data, currentWidth, image.height, channels, height);
  }
  // Neither pass ran: still hand back a copy so the result never aliases the input.
  const out = data === image.data ? new Uint8Array(image.data) : (data as Uint8Array);
  return { width, height, channels, data: out };
}
