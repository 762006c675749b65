import { ImageError } from './image-error.js';
import { assertRawImage, type RawImage } from './raw-image.js';

/**
 * `image` enlarged by an integer `scale` with nearest neighbour: each pixel becomes a
 * scale × scale block, channels unchanged, so 16×16 digits stay crisp. Returns `image` itself
 * when the scale is 1. `caller` names the function in errors (`encodePng`, `toImageData`).
 *
 * @example
 * const big = upscaleNearest({ width: 1, height: 1, channels: 1, data: Uint8Array.of(7) }, 2);
 * // { width: 2, height: 2, channels: 1, data: [7, 7, 7, 7] }
 */
export function upscaleNearest(image: RawImage, scale: number, caller = 'upscaleNearest'): RawImage {
  assertRawImage(image, caller);
  if (!Number.isInteger(scale) || scale < 1)
    throw new ImageError(`${caller}: scale must be a positive integer, got ${scale}`);
  if (scale === 1) return image;
  const { width, height, channels, data } = image;
  const rowBytes = width * scale * channels;
  const out = new Uint8Array(rowBytes * height * scale);
  for (let y = 0; y < height; y++) {
    // Widen source row y into the first of its output rows, then repeat that row below it.
    const first = y * scale * rowBytes;
    for (let x = 0; x < width; x++) {
      const pixel = data.subarray((y * width + x) * channels, (y * width + x + 1) * channels);
      for (let r = 0; r < scale; r++) out.set(pixel, first + (x * scale + r) * channels);
    }
    for (let r = 1; r < scale; r++) out.copyWithin(first + r * rowBytes, first, first + rowBytes);
  }
  return { width: width * scale, height: height * scale, channels, data: out };
}
