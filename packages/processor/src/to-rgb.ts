import type { RawImage } from './raw-image.js';
import { assertRawImage } from './raw-image.js';

/**
 * Returns the image as 3-channel RGB, the way Pillow's `convert('RGB')` does for the modes the
 * golden data uses: grey is copied to R, G and B; alpha is dropped without compositing onto a
 * background. An RGB image comes back as a copy, so callers may mutate the result.
 *
 * @example
 * toRGB({ width: 1, height: 1, channels: 1, data: new Uint8Array([7]) }).data; // [7, 7, 7]
 */
export function toRGB(image: RawImage, source?: string): RawImage {
  assertRawImage(image, source);
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 3) {
    out.set(data);
  } else if (channels === 1) {
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const v = data[i] as number;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    }
  } else {
    for (let i = 0, s = 0, o = 0; i < n; i++, s += 4, o += 3) {
      out[o] = data[s] as number;
      out[o + 1] = data[s + 1] as number;
      out[o + 2] = data[s + 2] as number;
    }
  }
  return { width, height, channels: 3, data: out };
}
