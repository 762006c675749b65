import { copyFile, mkdir, mkdtemp, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageGPTConfig } from '@imagegpt/config';

import { ImageGPTRunner, loadCheckpoint } from '@imagegpt/core';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeBackend, ImageGPTForCausalImageModeling, NodeError, NodeFileSource } from './index.js';
import { NodeLocalFile } from './node-local-file.js';

const MNIST = fileURLToPath(mnistCausalUrl);
let work: string;

/** A copy of the embedded model's config and weights in `dir`. */
async function copyModel(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const name of ['config.json', 'model.safetensors']) await copyFile(join(MNIST, name), join(dir, name));
  return dir;
}

async function runnerOver(dir: string, weights?: 'buffers') {
  const files = new NodeFileSource(dir);
  const config = ImageGPTConfig.parse(new TextDecoder().decode(await files.read('config.json')));
  const checkpoint = await loadCheckpoint(files);
  const backend = createNodeBackend({ threads: 1 });
  return ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal', ...(weights && { weights }) });
}

/** The decoder's logits over `tokens`, one step each. */
async function decode(runner: ImageGPTRunner, tokens: readonly number[]): Promise<Float32Array[]> {
  const decoder = runner.createDecoder(1);
  const out: Float32Array[] = [];
  for (const t of tokens) out.push((await decoder.next([[t]])).slice());
  decoder.dispose();
  return out;
}

/** The largest |a − b| over steps of logits. */
function maxDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  expect(a.map((x) => x.length)).toEqual(b.map((x) => x.length));
  return Math.max(...a.flatMap((x, i) => Array.from(x, (v, j) => Math.abs(v - (b[i]?.[j] ?? Number.NaN)))));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'igpt-in-place-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('weights left in model.safetensors, mapped by onnxruntime-node', () => {
  const tokens = [16, 3, 0, 15, 7, 7, 1];

  it('decodes as with the weights in memory, reading only the few it derives from', async () => {
    const dir = await copyModel(join(work, 'same'));
    const reads = vi.spyOn(NodeLocalFile.prototype, 'readSync');
    const inPlace = await runnerOver(dir);
    const readBytes = reads.mock.calls.reduce((n, [, length]) => n + length, 0);
    reads.mockRestore();
    const inMemory = await runnerOver(dir, 'buffers');
    try {
      // The unembedding is transposed once, the rest (3.3 MB) stays in the file.
      expect(readBytes).toBeLessThan(0.05 * 3_321_040);
      // In memory the score scale is folded into c_attn, in place it multiplies the queries: with
      // head size 32 (scale 1/√32, not a power of two) the two round apart, by float32 ulps.
      expect(maxDiff(await decode(inPlace, tokens), await decode(inMemory, tokens))).toBeLessThan(2e-5);
      // The reference graph (opened on first forward) maps the same file.
      const { logits } = await inPlace.forward([tokens]);
      const ref = (await inMemory.forward([tokens])).logits;
      expect(Array.from(logits.data as Float32Array)).toEqual(Array.from(ref.data as Float32Array));
    } finally {
      await Promise.all([inPlace.dispose(), inMemory.dispose()]);
    }
  });

  it('refuses, naming the file, a session opened after the weights file was replaced', async () => {
    const dir = await copyModel(join(work, 'replaced'));
    const model = await ImageGPTForCausalImageModeling.fromPretrained(dir, { threads: 1 });
    try {
      await copyFile(join(MNIST, 'model.safetensors'), join(dir, 'next.safetensors'));
      await rename(join(dir, 'next.safetensors'), join(dir, 'model.safetensors'));
      // The decoding session mapped the old file when it opened: it goes on as it was.
      expect((await decode(model.runner, [16, 1])).length).toBe(2);
      const forward = model.runner.forward([[16, 1]]);
      await expect(forward).rejects.toBeInstanceOf(NodeError);
      await expect(forward).rejects.toThrow(/model\.safetensors changed on disk after the model was loaded/);
    } finally {
      await model.dispose();
    }
  });

  it('goes on in memory after the model was saved over its own folder (saving read every weight)', async () => {
    const dir = await copyModel(join(work, 'saved-over'));
    const model = await ImageGPTForCausalImageModeling.fromPretrained(dir, { threads: 1 });
    try {
      const before = await decode(model.runner, tokens);
      await model.savePretrained(dir, { force: true });
      const { logits } = await model.runner.forward([tokens]);
      expect(logits.dims).toEqual([1, tokens.length, 16]);
      expect(maxDiff(await decode(model.runner, tokens), before)).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it("maps the hub cache's blobs through a snapshot's links", async () => {
    const repo = join(work, 'hub', 'models--org--mnist');
    const blobs = await copyModel(join(repo, 'blobs'));
    const snapshot = join(repo, 'snapshots', 'abc123');
    await mkdir(snapshot, { recursive: true });
    for (const name of ['config.json', 'model.safetensors'])
      await symlink(join('..', '..', 'blobs', name), join(snapshot, name));
    const linked = await runnerOver(snapshot);
    const direct = await runnerOver(blobs, 'buffers');
    try {
      expect(maxDiff(await decode(linked, tokens), await decode(direct, tokens))).toBeLessThan(2e-5);
    } finally {
      await Promise.all([linked.dispose(), direct.dispose()]);
    }
  });
});
