import { ImageError } from './image-error.js';
import { isPILResample, PILImageResampling, type PILResample } from './pil-image-resampling.js';
import type { RawImage } from './raw-image.js';
import { assertRawImage } from './raw-image.js';
import { RESAMPLE_KERNELS } from './resample-kernels.js';
import { resizeConvolution } from './resize-convolution.js';
import { resizeNearest } from './resize-nearest.js';

/**
 * The most bytes {@link resize} will allocate for its result (or its intermediate, after the
 * horizontal pass): 256 MiB, an 8192×8192 RGBA image. Larger targets are refused up front rather
 * than left to fail in the allocator, or to succeed and exhaust the heap.
 */
export const MAX_RESIZE_BYTES = 2 ** 28;

/**
 * Resizes an 8-bit image to `width`×`height` exactly as Pillow 9.4's
 * `Image.resize((width, height), resample)` does for `L` and `RGB` images (bit for bit), with any
 * of Pillow's filters ({@link PILImageResampling}; default BILINEAR, the one ImageGPT uses):
 *  - BOX, BILINEAR, HAMMING, BICUBIC and LANCZOS convolve, separably and in fixed point, and
 *    antialias when downscaling (the filter widens with the scale factor);
 *  - NEAREST picks one source pixel per output pixel.
 *
 * Channels are filtered independently; for a 4-channel image this differs from Pillow, which
 * premultiplies alpha first for every filter but NEAREST (call {@link toRGB} first, as the ImageGPT
 * processor does). A same-size resize returns an exact copy, as Pillow does.
 *
 * @example
 * const small = resize(image, 32, 32, PILImageResampling.LANCZOS); // small.width === 32
 */
export function resize(
  image: RawImage,
  width: number,
  height: number,
  resample: PILResample = PILImageResampling.BILINEAR,
  source?: string,
): RawImage {
  assertRawImage(image, source);
  const details = source === undefined ? {} : { source };
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new ImageError(
      `resize target must be positive integers, got ${String(width)}x${String(height)}`,
      details,
    );
  }
  if (!isPILResample(resample)) {
    throw new ImageError(
      `unknown resample filter ${String(resample)}; expected one of Pillow's ids 0 to 5 (PILImageResampling)`,
      details,
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
        details,
      );
    }
  }
  // Pillow copies (ImagingCrop) when nothing changes, whatever the filter.
  if (width === image.width && height === image.height) {
    return { width, height, channels, data: new Uint8Array(image.data) };
  }
  const kernel = RESAMPLE_KERNELS[resample];
  return kernel === undefined
    ? resizeNearest(image, width, height)
    : resizeConvolution(image, width, height, kernel);
}

/**
 * {@link resize} with Pillow's BILINEAR filter, the one ImageGPT checkpoints use: Pillow 9.4's
 * `Image.resize((width, height), Image.BILINEAR)` bit for bit for `L` and `RGB` images.
 *
 * @example
 * const small = resizeBilinear(image, 32, 32); // small.width === 32, small.height === 32
 */
export function resizeBilinear(image: RawImage, width: number, height: number, source?: string): RawImage {
  return resize(image, width, height, PILImageResampling.BILINEAR, source);
}
