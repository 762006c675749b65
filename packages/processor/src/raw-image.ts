import { ImageError } from './image-error.js';

/**
 * An 8-bit image in memory: row-major, channels interleaved (HWC), `width * height * channels`
 * bytes. 1 channel is grey (Pillow `L`), 3 is RGB, 4 is RGBA.
 *
 * @example
 * const red: RawImage = { width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) };
 */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/**
 * Checks that `image` is a well-formed {@link RawImage} and throws an {@link ImageError} naming
 * `source` and the fault otherwise. Every public function that takes an image calls it first, so
 * a bad buffer fails loudly instead of reading past its end.
 */
export function assertRawImage(image: RawImage, source?: string): void {
  const details = source === undefined ? {} : { source };
  if (image === null || typeof image !== 'object') {
    throw new ImageError(
      `expected an image object {width, height, channels, data}, got ${String(image)}`,
      details,
    );
  }
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new ImageError(
      `width and height must be positive integers, got ${String(width)}x${String(height)}`,
      details,
    );
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ImageError(`channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got ${String(channels)}`, details);
  }
  if (!(data instanceof Uint8Array) && !(data instanceof Uint8ClampedArray)) {
    throw new ImageError('data must be a Uint8Array or Uint8ClampedArray', details);
  }
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new ImageError(
      `data has ${data.length} bytes, expected width*height*channels = ${width}*${height}*${channels} = ${expected}`,
      details,
    );
  }
}
