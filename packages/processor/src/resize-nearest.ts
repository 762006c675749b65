import type { RawImage } from './raw-image.js';

/*
 * Pillow 9.4's NEAREST resize does not go through the convolution resampler: `_resize` in
 * _imaging.c turns it into an affine scale (libImaging/Geometry.c, ImagingScaleAffine). What
 * makes it bit-exact:
 *  - The source position starts at half a step, `scale * 0.5`, and each further output pixel
 *    *adds* `scale` to the previous position in float64 (it is not recomputed as (x + 0.5) *
 *    scale), so rounding accumulates exactly as in C.
 *  - A position becomes a pixel index by truncation; a negative position or one past the edge
 *    maps to nothing and that output pixel stays 0 (the output is zero-filled first).
 * There is no antialiasing: a downscale picks one source pixel per output pixel.
 */

/** Indices of the source pixel each output position samples along one axis, or -1 for none. */
function axisIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const indices = new Int32Array(outSize);
  let pos = scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    const index = pos < 0 ? -1 : Math.trunc(pos);
    indices[i] = index < inSize ? index : -1;
    pos += scale;
  }
  return indices;
}

/**
 * Resizes a checked 8-bit image as Pillow's `Image.resize((width, height), NEAREST)` does, bit for
 * bit (any channel count: whole pixels are copied). The caller validates the image and the target.
 */
export function resizeNearest(image: RawImage, width: number, height: number): RawImage {
  const { channels, data } = image;
  const xs = axisIndices(image.width, width);
  const ys = axisIndices(image.height, height);
  const out = new Uint8Array(width * height * channels);
  const inStride = image.width * channels;
  for (let y = 0; y < height; y++) {
    const sy = ys[y] as number;
    if (sy < 0) continue;
    const rowIn = sy * inStride;
    const rowOut = y * width * channels;
    for (let x = 0; x < width; x++) {
      const sx = xs[x] as number;
      if (sx < 0) continue;
      const p = rowIn + sx * channels;
      const o = rowOut + x * channels;
      for (let c = 0; c < channels; c++) out[o + c] = data[p + c] as number;
    }
  }
  return { width, height, channels, data: out };
}
