import { assertFiniteClusters } from './clusters.js';
import { ImageError } from './image-error.js';
import { denormalizeValue } from './normalize.js';
import type { RawImage } from './raw-image.js';

/**
 * Turns colour-cluster ids (row-major, no SOS) back into an 8-bit RGB image: each id becomes its
 * cluster's colour, `rint(127.5 * (c + 1))` (ties to even, as numpy) clipped to 0..255 — what HF's
 * ImageGPT examples do. Throws an {@link ImageError} when the count is not `width*height` or an id
 * is not an integer in `0..k-1` (an SOS token left in is the usual cause).
 *
 * @example
 * decodeTokens([0, 1], new Float64Array([-1, -1, -1, 1, 1, 1]), 2, 1).data; // [0,0,0, 255,255,255]
 */
export function decodeTokens(
  ids: ArrayLike<number>,
  clusters: Float64Array | Float32Array,
  width: number,
  height: number,
): RawImage {
  assertFiniteClusters(clusters);
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new ImageError(`decode size must be positive integers, got ${String(width)}x${String(height)}`);
  }
  if (ids.length !== width * height) {
    throw new ImageError(
      `decode got ${ids.length} ids, expected width*height = ${width}*${height} = ${width * height}`,
    );
  }
  const k = clusters.length / 3;
  const palette = new Uint8Array(k * 3);
  for (let i = 0; i < k * 3; i++) palette[i] = denormalizeValue(clusters[i] as number);
  const data = new Uint8Array(ids.length * 3);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!Number.isInteger(id) || id < 0 || id >= k) {
      throw new ImageError(
        `token ${i} is ${id}, expected a colour id in 0..${k - 1}${id === k ? ' (is the SOS token still in the sequence?)' : ''}`,
      );
    }
    data[3 * i] = palette[3 * id] as number;
    data[3 * i + 1] = palette[3 * id + 1] as number;
    data[3 * i + 2] = palette[3 * id + 2] as number;
  }
  return { width, height, channels: 3, data };
}
