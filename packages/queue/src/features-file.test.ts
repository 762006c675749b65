import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@imagegpt/node';
import { describe, expect, it } from 'vitest';
import { featuresFileChunks } from './features-file.js';
import { encodeFeaturesShard, readFeaturesShard } from './features-shard.js';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

const rows = Float32Array.from({ length: 5 * 3 }, (_, i) => i / 7);

describe('featuresFileChunks', () => {
  it('streams exactly the file writeSafetensors writes, whatever the blocks the rows come in', async () => {
    const spec = {
      layer: 2,
      dim: 3,
      images: ['a/1.png', 'a/2.png', 'b/1.png', 'b/2.png', 'x.png'],
      labels: { names: ['a', 'b'], ids: [0, 0, 1, 1, -1] },
    };
    const expected = writeSafetensors(
      [
        { name: 'features', dtype: 'F32', shape: [5, 3], data: rows },
        { name: 'labels', dtype: 'I64', shape: [5], data: BigInt64Array.of(0n, 0n, 1n, 1n, -1n) },
      ],
      { layer: '2', images: JSON.stringify(spec.images), label_names: '["a","b"]' },
    );
    const whole = await collect(featuresFileChunks(spec, [rows]));
    const blocks = await collect(
      featuresFileChunks(spec, [rows.slice(0, 6), rows.slice(6, 6), rows.slice(6)]),
    );
    expect(whole.equals(Buffer.from(expected))).toBe(true);
    expect(blocks.equals(whole)).toBe(true);
    const file = readSafetensors(whole);
    expect(Array.from(file.int64('labels'))).toEqual([0n, 0n, 1n, 1n, -1n]);
  });

  it('without labels writes only the features, with the metadata of before (layer, images)', async () => {
    const file = readSafetensors(
      await collect(featuresFileChunks({ layer: 4, dim: 3, images: ['1', '2', '3', '4', '5'] }, [rows])),
    );
    expect(file.names()).toEqual(['features']);
    expect(file.metadata).toEqual({ layer: '4', images: '["1","2","3","4","5"]' });
  });

  it('refuses rows that do not add up to the images', async () => {
    const spec = { layer: 0, dim: 3, images: ['1', '2', '3', '4', '5'] };
    await expect(collect(featuresFileChunks(spec, [rows.slice(0, 12)]))).rejects.toThrow(
      '4 feature rows for 5 images',
    );
    await expect(collect(featuresFileChunks(spec, [rows, rows]))).rejects.toThrow(
      'more feature rows than the 5 images',
    );
    await expect(collect(featuresFileChunks(spec, [rows.slice(0, 4)]))).rejects.toThrow(
      'not whole rows of 3',
    );
  });
});

describe('features shard files', () => {
  it('read back what was written, and refuse another job, another shape or a broken file, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igpt-shard-'));
    const path = join(dir, 'features-ab.safetensors');
    writeFileSync(path, encodeFeaturesShard(rows, 3, 'features-ab'));
    expect(await readFeaturesShard(path, { job: 'features-ab', rows: 5, dim: 3 })).toEqual(rows);
    await expect(readFeaturesShard(path, { job: 'features-cd', rows: 5, dim: 3 })).rejects.toThrow(
      `shard file ${path}: written for job features-ab, expected features-cd; delete it and run again`,
    );
    await expect(readFeaturesShard(path, { job: 'features-ab', rows: 4, dim: 3 })).rejects.toThrow(
      'features are [5, 3], expected [4, 3]',
    );
    writeFileSync(path, 'truncated');
    await expect(readFeaturesShard(path, { job: 'features-ab', rows: 5, dim: 3 })).rejects.toThrow(
      `shard file ${path}:`,
    );
    await expect(readFeaturesShard(join(dir, 'gone'), { job: 'x', rows: 1, dim: 1 })).rejects.toThrow(
      'cannot read',
    );
  });
});
