import { assertFiniteClusters } from './clusters.js';
import type { Palette } from './learn-palette.js';
import { ProcessorConfigError } from './processor-config-error.js';

/**
 * Writes a learnt palette as an HF `preprocessor_config.json` object (keys sorted as HF writes
 * them): the clusters as a k×3 list, resize to `size` with BILINEAR, normalise and quantize on.
 * `ImageGPTImageProcessor.fromJSON` reads it back to the same palette.
 *
 * @example
 * const json = JSON.stringify(paletteToPreprocessorConfig(palette, { height: 32, width: 32 }), null, 2);
 */
export function paletteToPreprocessorConfig(
  palette: Palette,
  size: { height: number; width: number },
): Record<string, unknown> {
  assertFiniteClusters(palette.clusters);
  for (const key of ['height', 'width'] as const) {
    const v = size[key];
    if (!Number.isInteger(v) || v < 1)
      throw new ProcessorConfigError('bad size', {
        field: `size.${key}`,
        value: v,
        expected: 'a positive integer',
      });
  }
  const clusters: number[][] = [];
  for (let i = 0; i < palette.clusters.length; i += 3)
    clusters.push(Array.from(palette.clusters.subarray(i, i + 3)));
  return {
    clusters,
    do_color_quantize: true,
    do_normalize: true,
    do_resize: true,
    image_processor_type: 'ImageGPTImageProcessor',
    resample: 2,
    size: { height: size.height, width: size.width },
  };
}
