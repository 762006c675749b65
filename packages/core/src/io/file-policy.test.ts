import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FILE_LIMITS,
  FilePolicyError,
  hubCacheBlobsDir,
  maxReadBytes,
  readFileWithin,
  readJsonText,
} from './file-policy.js';
import type { FileReadOptions, FileSource } from './file-source.js';

/** An in-memory folder that records what it was asked, with or without ranged reads. */
function memory(files: Record<string, Uint8Array>, ranged: boolean) {
  const asked: { path: string; maxBytes?: number }[] = [];
  const source: FileSource = {
    location: 'mem',
    exists: async (path) => path in files,
    read: async (path, _onProgress, options?: FileReadOptions) => {
      asked.push({ path, ...(options?.maxBytes !== undefined && { maxBytes: options.maxBytes }) });
      return files[path] as Uint8Array;
    },
    ...(ranged && {
      size: async (path: string) => (files[path] as Uint8Array).length,
      readRange: async (path: string, offset: number, length: number) =>
        (files[path] as Uint8Array).slice(offset, offset + length),
    }),
  };
  return { source, asked };
}

const text = (s: string) => new TextEncoder().encode(s);

describe('the file-reading policy', () => {
  it('caps JSON files at 16 MiB and leaves weights to their readers', () => {
    expect(DEFAULT_FILE_LIMITS.maxJsonBytes).toBe(16 * 2 ** 20);
    expect(maxReadBytes('config.json')).toBe(16 * 2 ** 20);
    expect(
      maxReadBytes('sub/model.safetensors.index.json', { ...DEFAULT_FILE_LIMITS, maxJsonBytes: 5 }),
    ).toBe(5);
    expect(maxReadBytes('model.safetensors')).toBeUndefined();
    expect(maxReadBytes('pytorch_model.bin')).toBeUndefined();
  });

  it('refuses an oversized JSON file before reading it when the size is known', async () => {
    const { source, asked } = memory({ 'config.json': text('{"a": 1}') }, true);
    const error = await readFileWithin(source, 'config.json', { limits: { maxJsonBytes: 7 } }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(FilePolicyError);
    expect((error as FilePolicyError).message).toBe(
      'mem/config.json: 8 bytes, over the limit of 7 for this kind of file (FileLimits.maxJsonBytes; a real one is far smaller)',
    );
    expect([
      (error as FilePolicyError).rule,
      (error as FilePolicyError).limit,
      (error as FilePolicyError).size,
    ]).toEqual(['size', 7, 8]);
    expect(asked).toEqual([]);
    expect(await readJsonText(source, 'config.json', { limits: { maxJsonBytes: 8 } })).toBe('{"a": 1}');
  });

  it('passes the cap to the source, and refuses what a source returns past it anyway', async () => {
    const { source, asked } = memory({ 'config.json': text('\uFEFF{"a": 1}') }, false);
    expect(await readJsonText(source, 'config.json')).toBe('{"a": 1}');
    expect(asked).toEqual([{ path: 'config.json', maxBytes: 16 * 2 ** 20 }]);
    await expect(readFileWithin(source, 'config.json', { limits: { maxJsonBytes: 3 } })).rejects.toThrow(
      'mem/config.json: 11 bytes, over the limit of 3',
    );
  });

  it('finds the blobs folder of a Hugging Face hub cache snapshot, and nothing else', () => {
    const repo = '/home/me/.cache/huggingface/hub/models--openai--imagegpt-small';
    expect(hubCacheBlobsDir(`${repo}/snapshots/0123abc`)).toBe(`${repo}/blobs`);
    expect(hubCacheBlobsDir(`${repo}/snapshots/0123abc/`)).toBe(`${repo}/blobs`);
    expect(hubCacheBlobsDir(`${repo}/snapshots/0123abc/sub/folder`)).toBe(`${repo}/blobs`);
    expect(hubCacheBlobsDir('C:\\hf\\hub\\models--a--b\\snapshots\\main')).toBe(
      'C:\\hf\\hub\\models--a--b\\blobs',
    );
    expect(hubCacheBlobsDir(`${repo}/snapshots`)).toBeUndefined();
    expect(hubCacheBlobsDir(`${repo}/blobs`)).toBeUndefined();
    expect(hubCacheBlobsDir('/models/igpt-small')).toBeUndefined();
    expect(hubCacheBlobsDir('/tmp/snapshots/abc')).toBeUndefined();
  });
});
