import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ImageGPTImageProcessor } from '@imagegpt/processor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeFileSink } from './node-file-sink.js';
import { OutputExistsError } from './write-file.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'igpt-sink-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const processor = ImageGPTImageProcessor.fromJSON({ clusters: [[-1, 0, 0.5]], size: 2, resample: 3 });

describe('NodeFileSink', () => {
  it("saves a processor's preprocessor_config.json into a new folder, and nothing else", async () => {
    const out = join(dir, 'model');
    expect(await processor.savePretrained(new NodeFileSink(out))).toEqual(['preprocessor_config.json']);
    expect(await readdir(out)).toEqual(['preprocessor_config.json']);
    const text = await readFile(join(out, 'preprocessor_config.json'), 'utf8');
    expect(text).toBe(processor.toJSONString());
    expect(ImageGPTImageProcessor.parse(text).toJSON()).toEqual(processor.toJSON());
  });

  it('refuses to overwrite without force, leaving the old file; replaces it with force', async () => {
    await writeFile(join(dir, 'preprocessor_config.json'), 'old');
    const sink = new NodeFileSink(pathToFileURL(dir));
    await expect(processor.savePretrained(sink)).rejects.toThrow(OutputExistsError);
    expect(await readFile(join(dir, 'preprocessor_config.json'), 'utf8')).toBe('old');
    await processor.savePretrained(sink, { force: true });
    expect(await readFile(join(dir, 'preprocessor_config.json'), 'utf8')).toBe(processor.toJSONString());
    expect(await readdir(dir)).toEqual(['preprocessor_config.json']); // no temporary file left
  });

  it('writes chunks in order as one file, and says which files exist', async () => {
    const sink = new NodeFileSink(join(dir, 'out'));
    expect(await sink.exists('model.bin')).toBe(false);
    await sink.write('model.bin', [Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)]);
    expect([...(await readFile(join(dir, 'out', 'model.bin')))]).toEqual([1, 2, 3]);
    expect(await sink.exists('model.bin')).toBe(true);
    await expect(sink.exists('../x')).rejects.toThrow(/outside the output folder/);
  });

  it('refuses paths that leave the folder', async () => {
    const sink = new NodeFileSink(dir);
    for (const path of ['../escape.json', '/etc/passwd', '', '.']) {
      await expect(sink.write(path, new Uint8Array(1))).rejects.toThrow(/outside the output folder/);
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
