import type { RawImage } from './raw-image.js';
import type { ResampleKernel } from './resample-kernels.js';

/*
 * Pillow 9.4's convolution resampler for 8-bit images (libImaging/Resample.c), which `Image.resize`
 * uses for every filter but NEAREST, reproduced for bit-exact results. The details that matter:
 *  - The filter's support is widened by the scale factor when downscaling, so a downscale
 *    averages every source pixel under the footprint (antialiasing), not just a few taps.
 *  - Coefficients are computed in float64, normalised to sum 1, then turned into 22-bit fixed point
 *    by adding ±0.5 and truncating towards zero.
 *  - Each output sample starts from a rounding bias of 2^21, accumulates value*coefficient in
 *    integers, and is clipped to 0..255 after an arithmetic shift by 22 (filters with negative
 *    lobes, bicubic and Lanczos, can overshoot either way).
 *  - Two passes: horizontal first, then vertical, with the intermediate image stored as 8 bits
 *    (so it is rounded and clipped between passes). A pass is skipped when that dimension is
 *    unchanged, which makes a same-size resize an exact copy.
 */

const PRECISION_BITS = 32 - 8 - 2;
const ROUNDING_BIAS = 1 << (PRECISION_BITS - 1);

/** Per output position along one axis: where its source window starts, how long it is, and its fixed-point weights. */
interface AxisCoefficients {
  readonly starts: Int32Array;
  readonly counts: Int32Array;
  /** `out * ksize` weights; row `i` holds `counts[i]` used entries. */
  readonly weights: Int32Array;
  readonly ksize: number;
}

function axisCoefficients(inSize: number, outSize: number, kernel: ResampleKernel): AxisCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = kernel.support * filterScale;
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
      const w = kernel.weight((x + xmin - center + 0.5) * invFilterScale);
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
  // `>>` is an arithmetic shift on int32, like the C code's on its int accumulator.
  const v = acc >> PRECISION_BITS;
  return Math.min(255, Math.max(0, v));
}

function resampleHorizontal(
  src: Uint8Array | Uint8ClampedArray,
  inWidth: number,
  height: number,
  channels: number,
  outWidth: number,
  kernel: ResampleKernel,
): Uint8Array {
  const { starts, counts, weights, ksize } = axisCoefficients(inWidth, outWidth, kernel);
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
  kernel: ResampleKernel,
): Uint8Array {
  const { starts, counts, weights, ksize } = axisCoefficients(inHeight, outHeight, kernel);
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
 * Resizes a checked 8-bit image with one of Pillow's convolution filters, as
 * `Image.resize((width, height), filter)` does for `L` and `RGB` images, bit for bit. The caller
 * validates the image and the target (see `resize`).
 */
export function resizeConvolution(
  image: RawImage,
  width: number,
  height: number,
  kernel: ResampleKernel,
): RawImage {
  const { channels } = image;
  let data: Uint8Array | Uint8ClampedArray = image.data;
  let currentWidth = image.width;
  if (width !== image.width) {
    data = resampleHorizontal(data, image.width, image.height, channels, width, kernel);
    currentWidth = width;
  }
  if (height !== image.height) {
    data = resampleVertical(data, currentWidth, image.height, channels, height, kernel);
  }
  // Neither pass ran: still hand back a copy so the result never aliases the input.
  const out = data === image.data ? new Uint8Array(image.data) : (data as Uint8Array);
  return { width, height, channels, data: out };
}
