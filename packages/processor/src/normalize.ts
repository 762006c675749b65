import { ImageError } from './image-error.js';
import type { RawImage } from './raw-image.js';
import { assertRawImage } from './raw-image.js';

/**
 * float32(v * (1/127.5)) - 1 for every byte value, in float32 in that order. HF multiplies a uint8
 * array by a Python float (float64 product, then cast to float32) and subtracts 1 in float32; a
 * float32 multiplier (float32(1/127.5)) would give a different last bit for 111 of the 256 values,
 * so the golden `pixels` pin this order. Precomputed once, read-only.
 */
const NORMALIZED: Float32Array = (() => {
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v * (1 / 127.5)) - 1);
  return table;
})();

/**
 * Maps an 8-bit RGB image to `[-1, 1]` the way `ImageGPTImageProcessor.normalize` does,
 * bit-exactly: `float32(v * (1/127.5)) - 1` in float32. Returns `width * height * 3` floats, HWC.
 *
 * @example
 * normalize({ width: 1, height: 1, channels: 3, data: new Uint8Array([0, 255, 128]) }); // [-1, 1, 0.0039215...]
 */
export function normalize(rgb: RawImage, source?: string): Float32Array {
  assertRawImage(rgb, source);
  if (rgb.channels !== 3) {
    throw new ImageError(
      `normalize expects an RGB image (3 channels), got ${rgb.channels}; call toRGB first`,
      source === undefined ? {} : { source },
    );
  }
  const { data } = rgb;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = NORMALIZED[data[i] as number] as number;
  return out;
}

/** The inverse of {@link normalize} as ImageGPT decodes clusters: `rint(127.5 * (x + 1))` with ties to even, clipped to 0..255. */
export function denormalizeValue(x: number): number {
  const v = 127.5 * (x + 1);
  let r = Math.round(v);
  // Math.round sends .5 up; numpy's rint sends it to the even neighbour.
  if (r - v === 0.5 && r % 2 !== 0) r -= 1;
  return Math.min(255, Math.max(0, r));
}
