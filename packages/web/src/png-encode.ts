import { type RawImage, upscaleNearest } from '@imagegpt/processor';
import { encode } from 'fast-png';

/**
 * Encodes an 8-bit image (grey, RGB or RGBA) as PNG bytes, optionally upscaled by an integer factor
 * with nearest neighbour; the same call as `encodePng` in `@imagegpt/node`, without a canvas, so it
 * works in a Worker too.
 *
 * @example
 * ```ts
 * const { images } = await model.generate({ seed: 1 });
 * const url = URL.createObjectURL(new Blob([await encodePng(images![0]!, { scale: 8 })], { type: 'image/png' }));
 * ```
 */
export async function encodePng(image: RawImage, options: { scale?: number } = {}): Promise<Uint8Array> {
  const big = upscaleNearest(image, options.scale ?? 1, 'encodePng');
  return encode({ width: big.width, height: big.height, data: big.data, channels: big.channels, depth: 8 });
}
