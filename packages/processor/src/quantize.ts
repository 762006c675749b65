import { assertFiniteClusters } from './clusters.js';
import { ImageError } from './image-error.js';

/**
 * Assigns every normalised RGB pixel (`n*3` floats) to its nearest colour cluster (`k*3`), the
 * way `ImageGPTImageProcessor.color_quantize` does: squared Euclidean distance, computed here
 * directly as Σ(x − c)² in float64 (the golden data shows this gives HF's ids, whose closest
 * decision is a 4e-6 gap), ties to the lowest index. Returns `n` ids.
 *
 * @example
 * quantize(new Float32Array([0.9, 0.9, 0.9]), new Float64Array([-1, -1, -1, 1, 1, 1])); // Int32Array [1]
 */
export function quantize(pixels: Float32Array, clusters: Float64Array | Float32Array): Int32Array {
  assertFiniteClusters(clusters);
  if (pixels.length % 3 !== 0) {
    throw new ImageError(`quantize expects RGB pixels (a multiple of 3 values), got ${pixels.length} values`);
  }
  const n = pixels.length / 3;
  const k = clusters.length / 3;
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = pixels[3 * i] as number;
    const g = pixels[3 * i + 1] as number;
    const b = pixels[3 * i + 2] as number;
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      const dr = r - (clusters[3 * j] as number);
      const dg = g - (clusters[3 * j + 1] as number);
      const db = b - (clusters[3 * j + 2] as number);
      const d = dr * dr + dg * dg + db * db;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    ids[i] = best;
  }
  return ids;
}
