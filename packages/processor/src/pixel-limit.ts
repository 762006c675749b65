import { ImageError } from './image-error.js';

/**
 * Default refusal threshold for decoded images, in `@imagegpt/node` and `@imagegpt/web` alike:
 * 64 megapixels (an 8000×8000 photo). A decompression bomb declares far more in its header.
 */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/**
 * Refuses an image of `width` × `height` that has no pixels or more than `maxPixels`, before
 * anything is decompressed; the {@link ImageError} names `source` and the limit.
 *
 * @example
 * checkPixelCount(30000, 30000, DEFAULT_MAX_PIXELS, 'bomb.png'); // throws: … over the limit of 67108864 (maxPixels)
 */
export function checkPixelCount(width: number, height: number, maxPixels: number, source: string): void {
  // The source is spelled into the message rather than set as `ImageError.source`, so these
  // errors stay exactly those the node and web decoders threw before they shared this check.
  if (!(width > 0 && height > 0)) throw new ImageError(`${source}: image has no pixels (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new ImageError(
      `${source}: ${width}x${height} is ${width * height} pixels, over the limit of ${maxPixels} (maxPixels)`,
    );
  }
}
