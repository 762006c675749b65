import { goldenCase } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { loadCheckpoint } from './load.js';
import { readPytorchBin } from './pytorch-zip.js';
import { writeSafetensors } from './safetensors.js';
import {
  type CheckpointLike,
  f32Bytes,
  legacyTorchFile,
  stateDictPickle,
  torchFileOf,
} from './test-utils/torch-fixtures.js';

/** Same names in order, dtypes, shapes and bytes (sources differ by design). */
function expectSameTensors(actual: CheckpointLike, expected: CheckpointLike): void {
  expect(actual.names()).toEqual(expected.names());
  for (const name of expected.names()) {
    const a = actual.get(name);
    const e = expected.get(name);
    expect([a.dtype, a.shape], name).toEqual([e.dtype, e.shape]);
    expect(Buffer.from(a.bytes).equals(Buffer.from(e.bytes)), name).toBe(true);
  }
}

/** A FileSource over files in memory. */
function memory(files: Record<string, Uint8Array>) {
  return {
    location: 'memory',
    exists: async (path: string) => path in files,
    read: async (path: string) => {
      const bytes = files[path];
      if (bytes === undefined) throw new Error(`${path}: no such file`);
      return bytes;
    },
  };
}

const range12 = f32Bytes(Array.from({ length: 12 }, (_, i) => i));

describe('the pre-1.6 torch.save format', () => {
  it('reads the golden tiny-causal and tiny-old-checkpoint weights written in it, equal to their safetensors', () => {
    for (const name of ['tiny-causal', 'tiny-old-checkpoint']) {
      const golden = goldenCase(name);
      const reference = golden.weights('safetensors');
      const legacy = torchFileOf(reference, 'legacy');
      expect(legacy[0]).toBe(0x80); // a pickle, not a zip
      expectSameTensors(readPytorchBin(legacy, { source: `${name}/pytorch_model.bin` }), reference);
      // The zip writer of the same fixtures gives the same tensors: both formats share one reading.
      expectSameTensors(readPytorchBin(torchFileOf(reference, 'zip')), reference);
    }
  });

  it('reads storage views (the sixth item of a persistent id) and strided tensors', () => {
    const pickle = stateDictPickle(
      [
        { name: 'whole', key: '0', numel: 12, shape: [3, 4] },
        { name: 'tail', key: '0', numel: 12, shape: [2, 2], view: { key: 'v', offset: 8, size: 4 } },
        { name: 'transposed', key: '0', numel: 12, shape: [4, 3], stride: [1, 4] },
      ],
      { format: 'legacy' },
    );
    const ckpt = readPytorchBin(legacyTorchFile(pickle, { '0': range12 }));
    expect(Array.from(new Float32Array(ckpt.get('tail').bytes.slice().buffer))).toEqual([8, 9, 10, 11]);
    expect(Array.from(new Float32Array(ckpt.get('transposed').bytes.slice().buffer))).toEqual([
      0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11,
    ]);
  });

  it('refuses a file that breaks the layout, in one line naming the file', () => {
    const matrix = stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4] }], { format: 'legacy' });
    const good = legacyTorchFile(matrix, { '0': range12 });
    const bad = (bytes: Uint8Array, options = {}) => {
      try {
        readPytorchBin(bytes, { source: 'old.bin', ...options });
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        expect((e as Error).message.split('\n')).toHaveLength(1);
        expect((e as Error).message.startsWith('old.bin')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad(good.subarray(0, good.length - 4))).toMatch(
      /storage "0" needs bytes \[\d+, \d+\) but the file ends/,
    );
    expect(bad(good.subarray(0, 30))).toMatch(/truncated/);
    expect(bad(legacyTorchFile(matrix, { '0': range12 }, { magic: 42n }))).toMatch(
      /not torch\.save's magic number/,
    );
    expect(bad(legacyTorchFile(matrix, { '0': range12 }, { littleEndian: false }))).toMatch(/big-endian/);
    expect(bad(legacyTorchFile(matrix, { '0': range12.subarray(0, 40) }))).toMatch(
      /storage "0" holds 10 elements .* the state dict says 12/,
    );
    expect(bad(legacyTorchFile(matrix, { '0': range12, x: range12 }))).toMatch(
      /lists storage "x", which the state dict never names/,
    );
    expect(bad(legacyTorchFile(matrix, {}))).toMatch(/names storage "0", which the file does not hold/);
    expect(bad(good, { maxPickleBytes: 100 })).toMatch(/the state dict pickle runs past 100 bytes/);
    // The reading policy's limit is the default, as for the zip format's data.pkl.
    expect(bad(good, { limits: { maxPickleBytes: 100 } })).toMatch(
      /the state dict pickle runs past 100 bytes/,
    );
    // A LONG of a million digits where the magic number goes: refused by the unpickler's bound on
    // numbers, quoting a short preview, not the number.
    const digits = new TextEncoder().encode(`L${'7'.repeat(1_000_000)}L\n.`);
    const huge = bad(Uint8Array.from([0x80, 2, ...digits]));
    expect(huge.length).toBeLessThan(400);
    expect(huge).toMatch(/magic number/);
    const zipIds = stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4] }]);
    expect(bad(legacyTorchFile(zipIds, { '0': range12 }))).toMatch(
      /is not \('storage', type, key, location, numel, view\)/,
    );
    const outside = stateDictPickle(
      [{ name: 'm', key: '0', numel: 12, shape: [2], view: { key: 'v', offset: 11, size: 2 } }],
      { format: 'legacy' },
    );
    expect(bad(legacyTorchFile(outside, { '0': range12 }))).toMatch(
      /view .* of storage "0" is not \(key, offset, size\) inside its 12 elements/,
    );
  });

  it('loads sharded checkpoints in both torch formats and safetensors through their index files', async () => {
    const reference = goldenCase('tiny-causal').weights('safetensors');
    const names = reference.names();
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap = (file: (i: number) => string) =>
      new TextEncoder().encode(
        JSON.stringify({
          metadata: {},
          weight_map: Object.fromEntries(shards.flatMap((s, i) => s.map((n) => [n, file(i)]))),
        }),
      );
    for (const format of ['zip', 'legacy', 'safetensors'] as const) {
      const file = (i: number) =>
        `${format === 'safetensors' ? 'model' : 'pytorch_model'}-0000${i + 1}-of-00002.${format === 'safetensors' ? 'safetensors' : 'bin'}`;
      const files: Record<string, Uint8Array> = {
        [format === 'safetensors' ? 'model.safetensors.index.json' : 'pytorch_model.bin.index.json']:
          weightMap(file),
      };
      shards.forEach((s, i) => {
        files[file(i)] =
          format === 'safetensors'
            ? writeSafetensors(s.map((n) => ({ ...reference.get(n), data: reference.get(n).bytes })))
            : torchFileOf(reference, format, s);
      });
      const loaded = await loadCheckpoint(memory(files), {
        formats: [format === 'safetensors' ? 'safetensors' : 'bin'],
      });
      expect(loaded.names().sort()).toEqual([...names].sort());
      for (const n of names)
        expect(Buffer.from(loaded.get(n).bytes).equals(Buffer.from(reference.get(n).bytes))).toBe(true);
    }
    // `formats` keeps the other format out even when it is there.
    await expect(
      loadCheckpoint(memory({ 'model.safetensors': new Uint8Array(8) }), { formats: ['bin'] }),
    ).rejects.toThrow(/no checkpoint found; looked for pytorch_model\.bin, pytorch_model\.bin\.index\.json/);
  });
});
