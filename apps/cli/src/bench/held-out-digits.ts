import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageGPTImageProcessor } from '@imagegpt/node';

const SIDE = 28;
const TEST_PER_CLASS = 100;

/** numpy.rint: round half to even, as the model card's conversion does. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The model card's 1,000 held-out MNIST digits (the last 100 of each class in the `mnist` package),
 * encoded by `processor` and prefixed with SOS: rows of [SOS] + 256 pixel ids. Undefined when the
 * `mnist` package (a dev dependency of the CLI) is not installed.
 */
export function heldOutDigits(processor: ImageGPTImageProcessor, sos: number): number[][] | undefined {
  let digitsDir: string;
  try {
    digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    return undefined;
  }
  if (!existsSync(digitsDir)) return undefined;
  const rows: number[][] = [];
  for (let digit = 0; digit <= 9; digit++) {
    const { data } = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')) as { data: number[] };
    const count = data.length / (SIDE * SIDE);
    for (let i = count - TEST_PER_CLASS; i < count; i++) {
      const pixels = Uint8Array.from(data.slice(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), (v) =>
        rint(v * 255),
      );
      const [ids] = processor.encode({ width: SIDE, height: SIDE, channels: 1, data: pixels });
      rows.push([sos, ...(ids as Int32Array)]);
    }
  }
  return rows;
}
