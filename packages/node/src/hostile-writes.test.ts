// writeFileAtomic under races and odd targets: without force exactly one writer wins and nobody
// overwrites anybody; with force the file is always one writer's whole bytes; symlinks at the
// target are replaced, never written through; no temporary file is left behind.
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputExistsError, writeFileAtomic } from './write-file.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'igpt-writes-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Distinct, large enough payloads that a torn or interleaved write would show. */
const payload = (i: number) => Buffer.alloc(32 * 1024, `writer ${i};`);

describe('writeFileAtomic races', () => {
  it('16 writers racing for a new path without force: exactly one wins, the rest get OutputExistsError', async () => {
    for (let round = 0; round < 3; round++) {
      const path = join(dir, `race-${round}.bin`);
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => writeFileAtomic(path, payload(i))),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OutputExistsError);
      expect(await readFile(path)).toEqual(payload(winners[0]!));
    }
    expect((await readdir(dir)).sort()).toEqual([0, 1, 2].map((r) => `race-${r}.bin`));
  });

  it('16 writers with force: all succeed and the file is one writer’s bytes, whole', async () => {
    const path = join(dir, 'forced.bin');
    await writeFile(path, 'old');
    await Promise.all(
      Array.from({ length: 16 }, (_, i) => writeFileAtomic(path, payload(i), { force: true })),
    );
    const bytes = await readFile(path);
    const winner = Number(/^writer (\d+);/.exec(bytes.subarray(0, 12).toString())?.[1]);
    expect(bytes).toEqual(payload(winner));
    expect(await readdir(dir)).toEqual(['forced.bin']);
  });
});

describe('writeFileAtomic targets', () => {
  it('refuses an existing file or any symlink at the target without force, and leaves both as they were', async () => {
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'outside');
    await writeFile(join(dir, 'file.png'), 'old');
    await symlink(outside, join(dir, 'link.png'));
    await symlink(join(dir, 'nowhere'), join(dir, 'dangling.png'));
    for (const name of ['file.png', 'link.png', 'dangling.png']) {
      await expect(writeFileAtomic(join(dir, name), 'new')).rejects.toThrow(OutputExistsError);
    }
    expect(await readFile(join(dir, 'file.png'), 'utf8')).toBe('old');
    expect(await readFile(outside, 'utf8')).toBe('outside');
    expect((await readdir(dir)).sort()).toEqual(['dangling.png', 'file.png', 'link.png', 'outside.txt']);
  });

  it('with force replaces a symlink at the target by a file, never writing through it', async () => {
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'outside');
    await symlink(outside, join(dir, 'link.png'));
    await writeFileAtomic(join(dir, 'link.png'), 'new', { force: true });
    expect(await readFile(join(dir, 'link.png'), 'utf8')).toBe('new');
    expect(await readFile(outside, 'utf8')).toBe('outside');
  });

  it('fails cleanly when the target is a folder, leaving no temporary file', async () => {
    await writeFile(join(dir, 'keep.txt'), 'x');
    await expect(writeFileAtomic(dir, 'data', { force: true })).rejects.toThrow();
    await expect(writeFileAtomic(dir, 'data')).rejects.toThrow(OutputExistsError);
    expect(await readdir(dir)).toEqual(['keep.txt']);
  });
});
