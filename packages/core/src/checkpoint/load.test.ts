import { readFileSync } from 'node:fs';
import { sharedPath } from '@imagegpt/test-kit';
import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { type FileSource, type LoadProgress, loadCheckpoint } from './load.js';
import { writeSafetensors } from './safetensors.js';
import { expectSameCheckpoint } from './test-utils/same-checkpoint.js';
import { f32Bytes, stateDictPickle, torchZip } from './test-utils/torch-fixtures.js';

/** A model folder in memory; records which files were read. */
function memorySource(
  files: Record<string, Uint8Array | string>,
  location = 'mem://model',
): FileSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    location,
    reads,
    exists: async (path) => Object.hasOwn(files, path),
    read: async (path, onProgress) => {
      const content = files[path];
      if (content === undefined) throw new Error(`ENOENT: ${path}`);
      reads.push(path);
      const bytes = typeof content === 'string' ? strToU8(content) : content;
      onProgress?.(Math.floor(bytes.length / 2), bytes.length);
      onProgress?.(bytes.length, bytes.length);
      return bytes;
    },
  };
}

/** The same folder with byte ranges too: records whole reads in `reads` and ranges in `ranges`. */
function rangedSource(
  files: Record<string, Uint8Array | string>,
  location = 'mem://model',
): FileSource & { reads: string[]; ranges: { path: string; offset: number; length: number }[] } {
  const bytesOf = (path: string) => {
    const content = files[path];
    if (content === undefined) throw new Error(`ENOENT: ${path}`);
    return typeof content === 'string' ? strToU8(content) : content;
  };
  const ranges: { path: string; offset: number; length: number }[] = [];
  return {
    ...memorySource(files, location),
    ranges,
    size: async (path) => bytesOf(path).length,
    readRange: async (path, offset, length) => {
      const bytes = bytesOf(path);
      if (offset + length > bytes.length) throw new Error(`range past the end of ${path}`);
      ranges.push({ path, offset, length });
      return bytes.slice(offset, offset + length);
    },
  };
}

const st = (tensors: Record<string, number[]>) =>
  writeSafetensors(
    Object.entries(tensors).map(([name, values]) => ({
      name,
      dtype: 'F32' as const,
      shape: [values.length],
      data: Float32Array.from(values),
    })),
  );

const index = (weightMap: Record<string, string>) =>
  JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap });

/** Two safetensors shards and their index: a and c in the first, b in the second. */
const shardedFiles = () => ({
  'model.safetensors.index.json': index({
    a: 'model-00001-of-00002.safetensors',
    b: 'model-00002-of-00002.safetensors',
    c: 'model-00001-of-00002.safetensors',
  }),
  'model-00001-of-00002.safetensors': st({ a: [1, 2], c: [3] }),
  'model-00002-of-00002.safetensors': st({ b: [4, 5, 6] }),
});

describe('loadCheckpoint', () => {
  it('loads sharded safetensors through the index weight_map, reporting progress', async () => {
    const source = memorySource(shardedFiles());
    const progress: LoadProgress[] = [];
    const ckpt = await loadCheckpoint(source, { onProgress: (info) => progress.push(info) });
    expect(ckpt.names()).toEqual(['a', 'c', 'b']);
    expect(Array.from(ckpt.float32('b'))).toEqual([4, 5, 6]);
    expect(ckpt.source).toBe('mem://model/model.safetensors.index.json (2 shards)');
    expect(source.reads).toEqual([
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(progress.filter((p) => p.loaded === p.total).map((p) => p.file)).toEqual(source.reads);
  });

  it('loads sharded pytorch_model.bin the same way', async () => {
    const shard = (name: string, values: number[]) =>
      torchZip(stateDictPickle([{ name, key: '0', numel: values.length, shape: [values.length] }]), {
        '0': f32Bytes(values),
      });
    const source = memorySource({
      'pytorch_model.bin.index.json': index({
        x: 'pytorch_model-00001-of-00002.bin',
        y: 'pytorch_model-00002-of-00002.bin',
      }),
      'pytorch_model-00001-of-00002.bin': shard('x', [1]),
      'pytorch_model-00002-of-00002.bin': shard('y', [2, 3]),
    });
    const ckpt = await loadCheckpoint(source);
    expect(Array.from(ckpt.float32('y'))).toEqual([2, 3]);
  });

  it('prefers safetensors, or pytorch_model.bin when asked, on a real model folder', async () => {
    const dir = sharedPath('golden', 'tiny-classify');
    const files = {
      'model.safetensors': readFileSync(`${dir}/model.safetensors`),
      'pytorch_model.bin': readFileSync(`${dir}/pytorch_model.bin`),
    };
    const bySafetensors = memorySource(files, 'tiny-classify/');
    const st = await loadCheckpoint(bySafetensors);
    expect(bySafetensors.reads).toEqual(['model.safetensors']);
    expect(st.source).toBe('tiny-classify/model.safetensors');
    const byBin = memorySource(files, 'tiny-classify');
    const bin = await loadCheckpoint(byBin, { prefer: 'bin' });
    expect(byBin.reads).toEqual(['pytorch_model.bin']);
    expect(bin.source).toBe('tiny-classify/pytorch_model.bin');
    expect(Array.from(bin.float32('score.weight'))).toEqual(Array.from(st.float32('score.weight')));
  });

  it('says where it looked when there is no checkpoint', async () => {
    const promise = loadCheckpoint(memorySource({ 'config.json': '{}' }, '/models/empty'));
    await expect(promise).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(memorySource({}, '/models/empty'), { prefer: 'bin' })).rejects.toThrow(
      '/models/empty: no checkpoint found; looked for pytorch_model.bin, pytorch_model.bin.index.json, model.safetensors, model.safetensors.index.json',
    );
  });

  it('names the file that is not a checkpoint', async () => {
    await expect(
      loadCheckpoint(memorySource({ 'model.safetensors': '<html>404</html>' }, 'https://hf.co/x')),
    ).rejects.toThrow(/^https:\/\/hf\.co\/x\/model\.safetensors: header length \d+ exceeds/);
    const failing: FileSource = {
      location: '/m',
      exists: async () => true,
      read: async () => Promise.reject(new Error('EACCES')),
    };
    await expect(loadCheckpoint(failing)).rejects.toThrow('/m/model.safetensors: could not be read: EACCES');
  });

  it('refuses broken or hostile indexes', async () => {
    const shards = { 's1.safetensors': st({ a: [1] }), 's2.safetensors': st({ a: [2] }) };
    const load = (files: Record<string, Uint8Array | string>) => loadCheckpoint(memorySource(files, 'm'));
    await expect(load({ 'model.safetensors.index.json': 'not json' })).rejects.toThrow(
      /^m\/model\.safetensors\.index\.json: is not JSON/,
    );
    await expect(load({ 'model.safetensors.index.json': '{"weight_map": []}' })).rejects.toThrow(
      'has no "weight_map" object',
    );
    await expect(load({ 'model.safetensors.index.json': index({ a: '../../etc/passwd' }) })).rejects.toThrow(
      'weight_map["a"] = "../../etc/passwd" is not a relative file name inside the model folder',
    );
    await expect(load({ 'model.safetensors.index.json': index({ a: '/etc/passwd' }) })).rejects.toThrow(
      'is not a relative file name',
    );
    await expect(load({ 'model.safetensors.index.json': index({ a: 'https://evil/x' }) })).rejects.toThrow(
      'is not a relative file name',
    );
    await expect(
      load({ 'model.safetensors.index.json': index({ a: 'missing.safetensors' }) }),
    ).rejects.toThrow('names shard "missing.safetensors", which is not in m');
    await expect(
      load({
        'model.safetensors.index.json': index({ a: 's1.safetensors', b: 's2.safetensors' }),
        ...shards,
      }),
    ).rejects.toThrow('tensor "a": appears in both m/s1.safetensors and m/s2.safetensors');
    const error = await load({
      'model.safetensors.index.json': index({ a: 's1.safetensors', z: 's1.safetensors' }),
      ...shards,
    }).catch((e: unknown) => e);
    expect((error as CheckpointError).details).toEqual([
      'z: mapped to s1.safetensors, which does not hold it',
    ]);
  });

  it('reads safetensors tensor by tensor when the source has ranges, giving the same checkpoint', async () => {
    const dir = sharedPath('golden', 'tiny-causal');
    const bytes = new Uint8Array(readFileSync(`${dir}/model.safetensors`));
    const files = { 'model.safetensors': bytes };
    const whole = await loadCheckpoint(memorySource(files, 'tiny-causal'));
    const ranged = rangedSource(files, 'tiny-causal');
    const progress: LoadProgress[] = [];
    const ckpt = await loadCheckpoint(ranged, { onProgress: (p) => progress.push(p) });
    expectSameCheckpoint(ckpt, whole);
    expect(ranged.reads).toEqual([]);
    // No read holds the whole file: header, then one read per (non-empty) tensor.
    expect(ranged.ranges.length).toBe(2 + ckpt.names().filter((n) => ckpt.get(n).bytes.length > 0).length);
    expect(Math.max(...ranged.ranges.map((r) => r.length))).toBeLessThan(bytes.length / 2);
    expect(progress.length).toBe(ranged.ranges.length - 1);
    expect(progress.at(-1)).toEqual({ file: 'model.safetensors', loaded: bytes.length, total: bytes.length });
  });

  it('reads sharded safetensors by range too, giving the same checkpoint', async () => {
    const files = shardedFiles();
    const whole = await loadCheckpoint(memorySource(files));
    const ranged = rangedSource(files);
    const progress: LoadProgress[] = [];
    expectSameCheckpoint(await loadCheckpoint(ranged, { onProgress: (p) => progress.push(p) }), whole);
    expect(ranged.reads).toEqual(['model.safetensors.index.json']);
    expect([...new Set(ranged.ranges.map((r) => r.path))]).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(progress.filter((p) => p.loaded === p.total).map((p) => p.file)).toEqual([
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });

  it('still reads pytorch_model.bin whole, and names the file when a range read fails', async () => {
    const dir = sharedPath('golden', 'tiny-classify');
    const ranged = rangedSource({ 'pytorch_model.bin': readFileSync(`${dir}/pytorch_model.bin`) });
    await loadCheckpoint(ranged);
    expect(ranged.reads).toEqual(['pytorch_model.bin']);
    // Only its first 4 bytes by range, so that a file that is no zip is refused unread.
    expect(ranged.ranges).toEqual([{ path: 'pytorch_model.bin', offset: 0, length: 4 }]);

    const failing: FileSource = {
      location: '/m',
      exists: async () => true,
      read: async () => Promise.reject(new Error('whole reads are not expected')),
      size: async () => 1000,
      readRange: async () => Promise.reject(new Error('EIO')),
    };
    await expect(loadCheckpoint(failing)).rejects.toThrow('/m/model.safetensors: could not be read: EIO');
    const noSize: FileSource = { ...failing, size: async () => Promise.reject(new Error('EACCES')) };
    await expect(loadCheckpoint(noSize)).rejects.toThrow('/m/model.safetensors: could not be read: EACCES');
    const truncated = rangedSource({ 'model.safetensors': st({ a: [1, 2] }).subarray(0, 60) }, '/m');
    await expect(loadCheckpoint(truncated)).rejects.toThrow(/^\/m\/model\.safetensors: /);
  });
});
