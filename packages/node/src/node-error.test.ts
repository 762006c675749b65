import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodePng,
  ImageError,
  ImageGPTForCausalImageModeling,
  NodeError,
  NodeFileSource,
  OutputExistsError,
  writeFileAtomic,
} from './index.js';

/** The error `run` rejects or throws with. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'igpt-node-error-'));
  await writeFile(join(dir, 'f.bin'), new Uint8Array(10));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('NodeError', () => {
  it('names a model folder that does not exist, or is a file', async () => {
    const missing = join(dir, 'igpt-smal');
    const e = await failure(() => ImageGPTForCausalImageModeling.fromPretrained(missing));
    expect(e).toBeInstanceOf(NodeError);
    expect(e).toMatchObject({ name: 'NodeError', path: missing });
    expect((e as Error).message).toBe(
      `${missing}: no such folder; expected a Hugging Face model folder (config.json and the weights)`,
    );
    const file = join(dir, 'f.bin');
    expect(await failure(() => ImageGPTForCausalImageModeling.fromPretrained(file))).toMatchObject({
      name: 'NodeError',
      path: file,
      message: expect.stringContaining(`${file}: not a folder`),
    });
  });

  it('names the file, field and value a NodeFileSource refuses', async () => {
    const files = new NodeFileSource(dir);
    expect(await failure(() => files.read('missing.bin'))).toMatchObject({
      name: 'NodeError',
      path: join(dir, 'missing.bin'),
      message: `missing.bin: no such file in ${dir} (ENOENT)`,
    });
    expect(await failure(() => files.readRange('f.bin', 4, 7))).toMatchObject({
      name: 'NodeError',
      path: join(dir, 'f.bin'),
      field: 'length',
      value: 7,
    });
    expect(await failure(() => files.readRange('f.bin', -1, 2))).toMatchObject({
      field: 'offset',
      value: -1,
    });
    expect(await failure(() => files.read('../escape'))).toMatchObject({
      name: 'NodeError',
      field: 'path',
      value: '../escape',
    });
    // The folder itself is no regular file: the reading policy's refusal, naming it.
    expect(await failure(() => files.size('.'))).toMatchObject({
      name: 'FilePolicyError',
      rule: 'kind',
      file: dir,
    });
  });

  it('is what OutputExistsError is, so one catch handles both', async () => {
    const e = await failure(() => writeFileAtomic(join(dir, 'f.bin'), 'new'));
    expect(e).toBeInstanceOf(OutputExistsError);
    expect(e).toBeInstanceOf(NodeError);
    expect(e).toMatchObject({ name: 'OutputExistsError', path: join(dir, 'f.bin') });
  });

  it('leaves image faults to ImageError, as in the browser', async () => {
    const grey = { width: 2, height: 1, channels: 1 as const, data: Uint8Array.of(7, 200) };
    expect(await failure(() => encodePng(grey, { scale: 0 }))).toBeInstanceOf(ImageError);
  });
});
