import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { ImageGPTForCausalImageModeling } from '@imagegpt/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGenerateShard, generateShard, readGenerateShard } from './generate-shard.js';

let model: ImageGPTForCausalImageModeling;
beforeAll(async () => {
  model = await ImageGPTForCausalImageModeling.fromPretrained(mnistCausalUrl, { threads: 1 });
});
afterAll(async () => {
  await model?.dispose();
});

const sampling = { greedy: false, temperature: 1, topK: 0 };

describe('generateShard', () => {
  it('rows split into shards and batches of any size are the rows of one call', async () => {
    const whole = await generateShard(model, { sampling, seed: 9, first: 0, count: 5, batch: 5 });
    const parts = [
      ...(await generateShard(model, { sampling, seed: 9, first: 0, count: 2, batch: 1 })),
      ...(await generateShard(model, { sampling, seed: 9, first: 2, count: 3, batch: 2 })),
    ];
    expect(parts).toEqual(whole);
    expect(whole.every((row) => row.length === 256)).toBe(true);
    expect(new Set(whole.map((row) => row.join())).size).toBe(5);
  });
});

describe('generation shard files', () => {
  it('read back what was written, and refuse another job or another range, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igpt-shard-'));
    const path = join(dir, 'generate-ab.json');
    const tokens = [
      [1, 2],
      [3, 4],
    ];
    writeFileSync(path, encodeGenerateShard(tokens, 6, 'generate-ab'));
    expect(await readGenerateShard(path, { job: 'generate-ab', first: 6, count: 2 })).toEqual(tokens);
    await expect(readGenerateShard(path, { job: 'generate-x', first: 6, count: 2 })).rejects.toThrow(
      `shard file ${path}: written for job generate-ab, expected generate-x`,
    );
    await expect(readGenerateShard(path, { job: 'generate-ab', first: 4, count: 2 })).rejects.toThrow(
      'expected 2 rows of token ids from row 4',
    );
  });
});
