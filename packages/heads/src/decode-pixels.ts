import type { ImageGPTImageProcessor, RawImage } from '@imagegpt/processor';

/**
 * Decodes pixel ids (no SOS) into a `width × height` RGB image. A sequence shorter than the
 * image (generation stopped early, a kept prefix) fills the first pixels in raster order and
 * leaves the rest black, so partial results can be shown at their final size.
 */
export function decodePixels(
  processor: ImageGPTImageProcessor,
  pixels: readonly number[],
  width: number,
  height: number,
): RawImage {
  const count = width * height;
  if (pixels.length >= count) return processor.decode(pixels.slice(0, count), { width, height });
  const data = new Uint8Array(count * 3);
  if (pixels.length > 0) data.set(processor.decode(pixels, { width: pixels.length, height: 1 }).data);
  return { width, height, channels: 3, data };
}
