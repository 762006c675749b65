// writeFileAtomic with chunks: the streaming path that large outputs (a dataset's features) take.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from './write-file.js';

const chunks = [Uint8Array.of(1, 2, 3), Uint8Array.of(), Uint8Array.of(4, 5)];

describe('writeFileAtomic with chunks', () => {
  it('writes sync and async chunks in order, exactly as one buffer would be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igpt-write-'));
    await writeFileAtomic(join(dir, 'sync.bin'), chunks);
    async function* later() {
      for (const chunk of chunks) {
        await new Promise((resolve) => setImmediate(resolve));
        yield chunk;
      }
    }
    await writeFileAtomic(join(dir, 'async.bin'), later());
    for (const name of ['sync.bin', 'async.bin'])
      expect([...readFileSync(join(dir, name))]).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves neither the file nor a temporary file when the chunks fail part way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igpt-write-'));
    async function* failing() {
      yield Uint8Array.of(1, 2);
      throw new Error('shard 3 is missing');
    }
    await expect(writeFileAtomic(join(dir, 'out.bin'), failing())).rejects.toThrow('shard 3 is missing');
    expect(existsSync(join(dir, 'out.bin'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
