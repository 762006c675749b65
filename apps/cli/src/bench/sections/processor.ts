import { ImageGPTImageProcessor } from '@imagegpt/node';
import type { BenchResults } from '../bench-results.js';
import { seededUniform } from '../seeded.js';

/** The image processor's throughput: random 224×224 RGB images to 32×32 ids over 512 clusters. */
export function timeProcessor(quick: boolean): BenchResults['processor'] {
  const side = 32;
  const inputSide = 224;
  const next = seededUniform(12345);
  const clusters = Array.from({ length: 512 }, () => [next() * 2 - 1, next() * 2 - 1, next() * 2 - 1]);
  const processor = ImageGPTImageProcessor.fromJSON({
    clusters,
    do_resize: true,
    do_normalize: true,
    do_color_quantize: true,
    resample: 2,
    size: { height: side, width: side },
  });
  const count = quick ? 4 : 64;
  const images = Array.from({ length: count }, () => ({
    width: inputSide,
    height: inputSide,
    channels: 3 as const,
    data: Uint8Array.from({ length: inputSide * inputSide * 3 }, () => Math.floor(next() * 256)),
  }));
  processor.encode(images.slice(0, 2)); // warm-up: the JIT, not the processor, is slow at first
  const t0 = performance.now();
  processor.encode(images);
  const ms = performance.now() - t0;
  return { imagesPerSecond: (count * 1e3) / ms, inputSide, side, clusters: clusters.length };
}
