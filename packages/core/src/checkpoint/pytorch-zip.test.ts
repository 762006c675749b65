import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { readPytorchBin } from './pytorch-zip.js';
import { expectOnlyCheckpointErrors } from './test-utils/corruption.js';
import { f32Bytes, PickleWriter, stateDictPickle, torchZip } from './test-utils/torch-fixtures.js';

function refusal(bytes: Uint8Array): string {
  try {
    readPytorchBin(bytes, { source: 'bad.bin' });
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message.startsWith('bad.bin')).toBe(true);
    return (error as Error).message;
  }
  return expect.fail('the file was accepted');
}

/** Storage 0 holds 0..11, a 3×4 row-major matrix. */
const range12 = f32Bytes(Array.from({ length: 12 }, (_, i) => i));

describe('readPytorchBin', () => {
  it('reads a state dict, with views into the archive for contiguous tensors', () => {
    const pickle = stateDictPickle([
      { name: 'm', key: '0', numel: 12, shape: [3, 4] },
      { name: 'row1', key: '0', numel: 12, offset: 4, shape: [4] },
      { name: 'scalar', key: '0', numel: 12, offset: 11, shape: [] },
      { name: 'h', key: '1', numel: 2, shape: [2], storageType: 'HalfStorage' },
      { name: 'ids', key: '2', numel: 1, shape: [1], storageType: 'LongStorage' },
    ]);
    const bytes = torchZip(
      pickle,
      {
        '0': range12,
        '1': new Uint8Array(Uint16Array.of(0x3c00, 0xc100).buffer),
        '2': new Uint8Array(BigInt64Array.of(-3n).buffer),
      },
      { prefix: 'pytorch_model' },
    );
    const ckpt = readPytorchBin(bytes, { source: 'pytorch_model.bin' });
    expect(ckpt.names()).toEqual(['m', 'row1', 'scalar', 'h', 'ids']);
    expect(ckpt.get('m')).toMatchObject({ dtype: 'F32', shape: [3, 4] });
    expect(Array.from(ckpt.float32('m'))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(Array.from(ckpt.float32('row1'))).toEqual([4, 5, 6, 7]);
    expect(Array.from(ckpt.float32('scalar'))).toEqual([11]);
    expect(ckpt.get('h').dtype).toBe('F16');
    expect(Array.from(ckpt.float32('h'))).toEqual([1, -2.5]);
    expect(Array.from(ckpt.int64('ids'))).toEqual([-3n]);
    expect(ckpt.get('m').bytes.buffer).toBe(bytes.buffer); // stored member: no copy
  });

  it('materialises strided (transposed, sliced, broadcast) views in row-major order', () => {
    const pickle = stateDictPickle([
      { name: 'transposed', key: '0', numel: 12, shape: [4, 3], stride: [1, 4] },
      { name: 'column2', key: '0', numel: 12, offset: 2, shape: [3], stride: [4] },
      { name: 'corner', key: '0', numel: 12, offset: 5, shape: [2, 2], stride: [4, 1] },
      { name: 'expanded', key: '0', numel: 12, offset: 1, shape: [2, 3], stride: [0, 1] },
      { name: 'unit-dims', key: '0', numel: 12, offset: 8, shape: [1, 4, 1], stride: [99, 1, 7] },
      { name: 'empty', key: '0', numel: 12, offset: 0, shape: [0, 5], stride: [5, 1] },
    ]);
    const ckpt = readPytorchBin(torchZip(pickle, { '0': range12 }));
    expect(Array.from(ckpt.float32('transposed'))).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(Array.from(ckpt.float32('column2'))).toEqual([2, 6, 10]);
    expect(Array.from(ckpt.float32('corner'))).toEqual([5, 6, 9, 10]);
    expect(Array.from(ckpt.float32('expanded'))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(Array.from(ckpt.float32('unit-dims'))).toEqual([8, 9, 10, 11]);
    expect(ckpt.get('empty').shape).toEqual([0, 5]);
    expect(ckpt.float32('empty').length).toBe(0);
  });

  it('reads deflated members too', () => {
    const pickle = stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [12] }]);
    const ckpt = readPytorchBin(torchZip(pickle, { '0': range12 }, { level: 6 }));
    expect(Array.from(ckpt.float32('m'))).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('refuses a persistent id to a missing storage', () => {
    const pickle = stateDictPickle([{ name: 'w', key: '7', numel: 12, shape: [12] }]);
    expect(refusal(torchZip(pickle, { '0': range12 }))).toBe(
      'bad.bin: the pickle refers to storage "7" but the archive has no archive/data/7',
    );
  });

  it('refuses views that reach past their storage, and storages shorter than declared', () => {
    const pickle = stateDictPickle([{ name: 'w', key: '0', numel: 12, offset: 6, shape: [2, 4] }]);
    expect(refusal(torchZip(pickle, { '0': range12 }))).toBe(
      'bad.bin, tensor "w": view (offset 6, size [2, 4], stride [4, 1]) reaches element 13 but storage "0" holds 12',
    );
    const strided = stateDictPickle([{ name: 't', key: '0', numel: 12, shape: [4, 4], stride: [1, 4] }]);
    expect(refusal(torchZip(strided, { '0': range12 }))).toContain(
      'reaches element 15 but storage "0" holds 12',
    );
    const short = stateDictPickle([{ name: 'w', key: '0', numel: 16, shape: [16] }]);
    expect(refusal(torchZip(short, { '0': range12 }))).toContain(
      'storage archive/data/0 holds 48 bytes; 16 × F32 needs 64',
    );
  });

  it('refuses a code-running pickle inside a real archive, naming the global', () => {
    // PROTO 2 | GLOBAL posix system | BINUNICODE 'id' | TUPLE1 | REDUCE | STOP
    const pickle = new PickleWriter()
      .proto()
      .global('posix', 'system')
      .str('id')
      .raw(0x85)
      .reduce()
      .stop()
      .bytes();
    expect(refusal(torchZip(pickle, {}))).toMatch(
      /^bad\.bin: archive\/data\.pkl: pickle byte 2: GLOBAL posix\.system is not allowed/,
    );
  });

  it('refuses storage types and top-level objects that are not a state dict of tensors', () => {
    const complex = stateDictPickle([
      { name: 'c', key: '0', numel: 1, shape: [1], storageType: 'ComplexFloatStorage' },
    ]);
    expect(refusal(torchZip(complex, { '0': new Uint8Array(8) }))).toContain(
      'GLOBAL torch.ComplexFloatStorage is not allowed',
    );
    // PROTO 2 | EMPTY_DICT | BINUNICODE 'epoch' | BININT1 3 | SETITEM | STOP
    const notTensor = new PickleWriter().proto().emptyDict().str('epoch').int(3).raw(0x73).stop().bytes();
    expect(refusal(torchZip(notTensor, {}))).toBe(
      'bad.bin, tensor "epoch": is int 3, not a tensor; only flat state dicts (names → tensors) are supported',
    );
    // PROTO 2 | EMPTY_LIST | STOP
    expect(refusal(torchZip(new PickleWriter().proto().raw(0x5d).stop().bytes(), {}))).toContain(
      'holds list of 0; expected a state dict',
    );
  });

  it('refuses the legacy (non-zip) torch format with advice', () => {
    // What torch < 1.6 wrote: PROTO 2, LONG1 0x1950a86a20f9469cfc6c (the magic number), ...
    const legacy = Uint8Array.of(
      0x80,
      0x02,
      0x8a,
      0x0a,
      0x6c,
      0xfc,
      0x9c,
      0x46,
      0xf9,
      0x20,
      0x6a,
      0xa8,
      0x50,
      0x19,
      0x2e,
    );
    expect(refusal(legacy)).toMatch(
      /legacy torch serialization.*_use_new_zipfile_serialization=True\)\) or convert to safetensors/,
    );
  });

  it('refuses files that are not torch checkpoints, naming the file', () => {
    expect(refusal(strToU8('{"not": "a checkpoint"}'))).toBe(
      'bad.bin: is not a PyTorch checkpoint: expected a zip archive (starting with "PK") as torch.save writes',
    );
    expect(refusal(new Uint8Array(0))).toContain('is not a PyTorch checkpoint');
    expect(refusal(zipSync({ 'readme.txt': strToU8('hi') }))).toContain('has no <archive>/data.pkl member');
    expect(
      refusal(zipSync({ 'a/data.pkl': Uint8Array.of(0x2e), 'b/data.pkl': Uint8Array.of(0x2e) })),
    ).toContain('several top-level data.pkl');
  });

  it('refuses every truncation of an archive with a CheckpointError', () => {
    const bytes = torchZip(stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4] }]), {
      '0': range12,
    });
    for (let length = 0; length < bytes.length; length++) {
      expect(() => readPytorchBin(bytes.subarray(0, length)), `truncated to ${length} bytes`).toThrow(
        CheckpointError,
      );
    }
  });

  it('refuses members that declare huge expanded sizes (zip bombs) before expanding', () => {
    const bytes = torchZip(
      stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [12] }]),
      { '0': range12 },
      { level: 6 },
    );
    const bomb = setDeclaredSize(bytes, 'archive/data/0', 0xfffffff0);
    expect(refusal(bomb)).toMatch(
      /"archive\/data\/0" declares 4294967280 bytes expanded from \d+ compressed, beyond what deflate can produce/,
    );

    // A highly compressible member that is plausible for deflate but over the total cap.
    const zeros = zipSync(
      {
        'archive/data.pkl': Uint8Array.of(0x80, 0x02, 0x7d, 0x2e),
        'archive/data/0': new Uint8Array(2 << 20),
      },
      { level: 9 },
    );
    expect(() => readPytorchBin(zeros, { source: 'z.bin', maxExpandedBytes: 1 << 20 })).toThrow(
      /declare more than 1048576 bytes in total .*zip bomb/,
    );
    expect(readPytorchBin(zeros).names()).toEqual([]);
  });

  it('refuses a member whose data expands beyond or short of its declared size, or fails its CRC', () => {
    const bytes = torchZip(
      stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [12] }]),
      { '0': range12 },
      { level: 6 },
    );
    expect(refusal(setDeclaredSize(bytes, 'archive/data/0', 40))).toContain(
      'expands beyond its declared 40 bytes',
    );
    expect(refusal(setDeclaredSize(bytes, 'archive/data/0', 56))).toContain(
      'expands to 48 bytes, not the declared 56',
    );
    const stored = torchZip(stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [12] }]), {
      '0': range12,
    });
    const pklAt = indexOf(stored, strToU8('archive/data.pkl')) + 'archive/data.pkl'.length;
    const corrupt = stored.slice();
    corrupt[pklAt + 5] = (corrupt[pklAt + 5] as number) ^ 0xff; // inside the pickle's data
    expect(refusal(corrupt)).toContain('zip member "archive/data.pkl" fails its CRC-32 check');
  });

  it('throws only CheckpointError on random corruptions (property)', () => {
    const valid = torchZip(
      stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4], stride: [1, 3] }]),
      { '0': range12 },
      { level: 6 },
    );
    expectOnlyCheckpointErrors(valid, (bytes) => readPytorchBin(bytes));
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Rewrites the uncompressed size that the central directory declares for `name`. */
function setDeclaredSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const encoded = strToU8(name);
  for (let at = indexOf(out, encoded); at >= 0; at = indexOf(out, encoded, at + 1)) {
    const header = at - 46;
    if (
      header >= 0 &&
      view.getUint32(header, true) === 0x02014b50 &&
      view.getUint16(header + 28, true) === encoded.length
    ) {
      view.setUint32(header + 24, size, true);
      return out;
    }
  }
  throw new Error(`no central directory entry for ${name}`);
}
