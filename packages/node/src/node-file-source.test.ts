import { constants as bufferConstants } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Checkpoint,
  FilePolicyError,
  type FileReadOptions,
  loadCheckpoint,
  readSafetensors,
  writeSafetensors,
} from '@imagegpt/core';
import { readJsonText } from '@imagegpt/core/io';
import { goldenCaseDir } from '@imagegpt/test-kit';
import { describe, expect, it } from 'vitest';
import { NodeFileSource } from './node-file-source.js';

/** A NodeFileSource that records whole-file reads and range reads. */
class RecordingSource extends NodeFileSource {
  readonly reads: string[] = [];
  readonly ranges: { path: string; offset: number; length: number }[] = [];

  override read(
    path: string,
    onProgress?: (loaded: number, total: number | undefined) => void,
    options?: FileReadOptions,
  ) {
    this.reads.push(path);
    return super.read(path, onProgress, options);
  }

  override readRange(path: string, offset: number, length: number) {
    this.ranges.push({ path, offset, length });
    return super.readRange(path, offset, length);
  }
}

/** A fresh folder under the OS temp dir, removed after `use`. */
async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'igpt-node-file-source-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function expectSameTensors(actual: Checkpoint, expected: Checkpoint): void {
  expect(actual.names()).toEqual(expected.names());
  expect(actual.metadata).toEqual(expected.metadata);
  for (const name of expected.names()) {
    const a = actual.get(name);
    const e = expected.get(name);
    expect([a.dtype, a.shape], name).toEqual([e.dtype, e.shape]);
    expect(Buffer.from(a.bytes).equals(Buffer.from(e.bytes)), name).toBe(true);
  }
}

const GiB = 2 ** 30;

describe('NodeFileSource', () => {
  it('loads model.safetensors tensor by tensor, the same as reading it whole', async () => {
    const dir = goldenCaseDir('tiny-causal');
    const files = new RecordingSource(dir);
    const progress: { loaded: number; total?: number }[] = [];
    const ckpt = await loadCheckpoint(files, { onProgress: (p) => progress.push(p) });
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    expectSameTensors(ckpt, readSafetensors(bytes));
    expect(ckpt.source).toBe(join(dir, 'model.safetensors'));
    expect(files.reads).toEqual([]);
    expect(files.ranges.every((r) => r.path === 'model.safetensors' && r.length < bytes.length / 2)).toBe(
      true,
    );
    expect(progress.at(-1)).toEqual({ file: 'model.safetensors', loaded: bytes.length, total: bytes.length });
  });

  it('loads sharded safetensors from disk by range', async () => {
    await withTempDir(async (dir) => {
      const shard = (name: string, values: number[]) =>
        writeSafetensors([{ name, dtype: 'F32', shape: [values.length], data: Float32Array.from(values) }], {
          format: 'pt',
        });
      await writeFile(join(dir, 's1.safetensors'), shard('a', [1, 2, 3]));
      await writeFile(join(dir, 's2.safetensors'), shard('b', [4]));
      await writeFile(
        join(dir, 'model.safetensors.index.json'),
        JSON.stringify({ weight_map: { a: 's1.safetensors', b: 's2.safetensors' } }),
      );
      const files = new RecordingSource(dir);
      const ckpt = await loadCheckpoint(files);
      expect(files.reads).toEqual(['model.safetensors.index.json']);
      expect(new Set(files.ranges.map((r) => r.path))).toEqual(new Set(['s1.safetensors', 's2.safetensors']));
      expect(Array.from(ckpt.float32('a'))).toEqual([1, 2, 3]);
      expect(Array.from(ckpt.float32('b'))).toEqual([4]);
      expect(ckpt.metadata).toEqual({ format: 'pt' });
    });
  });

  it('reads whole files in chunks with progress, and exact ranges, refusing ranges past the end', async () => {
    await withTempDir(async (dir) => {
      const content = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
      await writeFile(join(dir, 'f.bin'), content);
      await writeFile(join(dir, 'empty.bin'), new Uint8Array(0));
      const files = new NodeFileSource(dir);
      const progress: [number, number | undefined][] = [];
      expect(await files.read('f.bin', (loaded, total) => progress.push([loaded, total]))).toEqual(content);
      expect(progress).toEqual([[1000, 1000]]);
      expect(await files.read('f.bin')).toEqual(content);
      expect(await files.read('empty.bin')).toEqual(new Uint8Array(0));
      expect(await files.size('f.bin')).toBe(1000);
      expect(await files.readRange('f.bin', 990, 10)).toEqual(content.subarray(990));
      expect(await files.readRange('f.bin', 1000, 0)).toEqual(new Uint8Array(0));
      await expect(files.readRange('f.bin', 995, 10)).rejects.toThrow(
        'f.bin: cannot read bytes [995, 1005) of a 1000-byte file: the range runs past its end',
      );
      await expect(files.readRange('f.bin', -1, 4)).rejects.toThrow('must be non-negative integers');
      await expect(files.readRange('f.bin', 0.5, 4)).rejects.toThrow('must be non-negative integers');
      await expect(files.size('missing.bin')).rejects.toThrow(/ENOENT/);
      await expect(files.readRange('../f.bin', 0, 1)).rejects.toThrow(
        'refusing a path outside the model folder',
      );
      await expect(files.size('.')).rejects.toThrow('a folder, not a regular file');
    });
  });

  it('reads ranges beyond 4 GiB of a sparse file, and refuses to read it whole with a clear error', async () => {
    await withTempDir(async (dir) => {
      const size = 4.5 * GiB;
      const at = 4 * GiB + 400 * 2 ** 20; // ≈ 4.4 GiB
      const marker = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
      const handle = await open(join(dir, 'big.safetensors'), 'w');
      try {
        await handle.truncate(size); // sparse: no disk blocks for the zeros
        await handle.write(marker, 0, marker.length, at);
      } finally {
        await handle.close();
      }
      const files = new NodeFileSource(dir);
      expect(await files.size('big.safetensors')).toBe(size);
      expect(await files.readRange('big.safetensors', at, 16)).toEqual(marker);
      expect(await files.readRange('big.safetensors', at - 8, 16)).toEqual(
        Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7),
      );
      expect(await files.readRange('big.safetensors', size - 4, 4)).toEqual(new Uint8Array(4));
      await expect(files.readRange('big.safetensors', size - 4, 8)).rejects.toThrow('runs past its end');

      if (bufferConstants.MAX_LENGTH < size) {
        const limit = bufferConstants.MAX_LENGTH / GiB;
        await expect(files.read('big.safetensors')).rejects.toThrow(
          `big.safetensors is ${size} bytes, more than the ${bufferConstants.MAX_LENGTH} bytes (${limit} GiB) one buffer can hold here, so it cannot be read whole: use a safetensors file; files over ${limit} GiB are read tensor by tensor only through readRange`,
        );
      } else {
        // Node versions whose typed arrays exceed 4.5 GiB can read it whole; not worth 4.5 GiB here.
        expect(bufferConstants.MAX_LENGTH).toBeGreaterThanOrEqual(size);
      }
    });
  });
});

describe('NodeFileSource applies the file-reading policy', () => {
  const fifoSupported = process.platform !== 'win32';

  it.skipIf(!fifoSupported)('refuses a FIFO and a device link without opening them', async () => {
    await withTempDir(async (dir) => {
      expect(spawnSync('mkfifo', [join(dir, 'config.json')]).status).toBe(0);
      await symlink('/dev/zero', join(dir, 'zero.json'));
      const files = new NodeFileSource(dir);
      // The FIFO exists (so the loader reads it and says why it is refused) but is never opened.
      expect(await files.exists('config.json')).toBe(true);
      const fifo = await files.read('config.json').catch((e: unknown) => e);
      expect(fifo).toBeInstanceOf(FilePolicyError);
      expect((fifo as FilePolicyError).message).toBe(
        `${join(dir, 'config.json')}: a FIFO (named pipe), not a regular file: only regular files are read`,
      );
      expect((fifo as FilePolicyError).rule).toBe('kind');
      // /dev/zero is outside the folder: the link rule answers first.
      const zero = await files.read('zero.json').catch((e: unknown) => e);
      expect([(zero as FilePolicyError).rule, (zero as FilePolicyError).target]).toEqual([
        'link',
        '/dev/zero',
      ]);
      await expect(files.size('zero.json')).rejects.toThrow(FilePolicyError);
      await expect(files.readRange('config.json', 0, 1)).rejects.toThrow('a FIFO');
    });
  });

  it('follows links that stay inside the folder, refuses those that leave it (files and sub-folders)', async () => {
    await withTempDir(async (root) => {
      const dir = join(root, 'model');
      const outside = join(root, 'secrets');
      await mkdir(join(dir, 'real'), { recursive: true });
      await mkdir(outside);
      await writeFile(join(dir, 'real', 'a.json'), '{"a": 1}');
      await writeFile(join(outside, 'credentials.json'), '{"token": "x"}');
      await symlink('real/a.json', join(dir, 'inside.json'));
      await symlink(join(outside, 'credentials.json'), join(dir, 'config.json'));
      await symlink(outside, join(dir, 'shards'));
      const files = new NodeFileSource(dir);
      expect(new TextDecoder().decode(await files.read('inside.json'))).toBe('{"a": 1}');
      for (const path of ['config.json', 'shards/credentials.json']) {
        const error = await files.read(path).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FilePolicyError);
        expect((error as Error).message).toBe(
          `${join(dir, path)}: a link to ${join(outside, 'credentials.json')}, outside the model folder: links are followed only when they stay inside ${dir}`,
        );
      }
      // A folder reached through a link is judged by its real path: its own files are inside.
      await symlink(dir, join(root, 'alias'));
      expect(await new NodeFileSource(join(root, 'alias')).size('inside.json')).toBe(8);
    });
  });

  it("follows a hub cache snapshot's links into its repository's blobs/, and no further", async () => {
    await withTempDir(async (root) => {
      const repo = join(root, 'hub', 'models--openai--imagegpt-small');
      const snapshot = join(repo, 'snapshots', '0123abcd');
      await mkdir(join(repo, 'blobs'), { recursive: true });
      await mkdir(snapshot, { recursive: true });
      await mkdir(join(root, 'hub', 'models--other--repo', 'blobs'), { recursive: true });
      await writeFile(join(repo, 'blobs', 'f00d'), '{"n_embd": 64}');
      await writeFile(join(root, 'hub', 'models--other--repo', 'blobs', 'beef'), '{}');
      // Python's huggingface_hub links every snapshot file as ../../blobs/<hash>.
      await symlink('../../blobs/f00d', join(snapshot, 'config.json'));
      await symlink('../../../models--other--repo/blobs/beef', join(snapshot, 'other.json'));
      const files = new NodeFileSource(snapshot);
      expect(files.linkRoots).toEqual([join(repo, 'blobs')]);
      expect(new TextDecoder().decode(await files.read('config.json'))).toBe('{"n_embd": 64}');
      await expect(files.read('other.json')).rejects.toThrow(
        `, outside the model folder: links are followed only when they stay inside ${snapshot} or ${join(repo, 'blobs')}`,
      );
      // Given explicitly, the link roots replace the default: none lets nothing out.
      await expect(new NodeFileSource(snapshot, { linkRoots: [] }).read('config.json')).rejects.toThrow(
        FilePolicyError,
      );
    });
  });

  it('refuses a sparse 3 GiB config.json by its size, before reading a byte', async () => {
    await withTempDir(async (dir) => {
      const handle = await open(join(dir, 'config.json'), 'w');
      try {
        await handle.truncate(3 * GiB); // sparse: no disk blocks
      } finally {
        await handle.close();
      }
      const files = new RecordingSource(dir);
      const error = await readJsonText(files, 'config.json').catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        `${join(dir, 'config.json')}: 3221225472 bytes, over the limit of 16777216 for this kind of file (FileLimits.maxJsonBytes; a real one is far smaller)`,
      );
      expect(files.reads).toEqual([]);
      // Asked directly with a cap, the source refuses by the size it opened.
      await expect(files.read('config.json', undefined, { maxBytes: 100 })).rejects.toThrow(
        '3221225472 bytes, more than the 100 its reader accepts',
      );
    });
  });
});
