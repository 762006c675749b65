// Reading valid torch archives. Hostile and corrupt ones (refusals, bombs, the fuzz) are in
// hostile-bin.test.ts, where each case is counted and timed.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readPytorchBin } from './pytorch-zip.js';
import { f32Bytes, stateDictPickle, torchZip } from './test-utils/torch-fixtures.js';
import { crc32 } from './zip-archive.js';

/** Storage 0 holds 0..11, a 3×4 row-major matrix. */
const range12AsNumbers = Array.from({ length: 12 }, (_, i) => i);
const range12 = f32Bytes(range12AsNumbers);

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

  it('copies strided views exactly for every item size, whatever the storage alignment', () => {
    // Each dtype's storage holds 12 distinct items; the views are a transpose and a 3-D permutation.
    const dtypes = [
      ['FloatStorage', 4],
      ['DoubleStorage', 8],
      ['HalfStorage', 2],
      ['BFloat16Storage', 2],
      ['LongStorage', 8],
      ['ShortStorage', 2],
      ['ByteStorage', 1],
      ['BoolStorage', 1],
    ] as const;
    const views = [
      { suffix: 't', shape: [4, 3], stride: [1, 4], offset: 0 },
      { suffix: 'p', shape: [2, 3, 2], stride: [1, 4, 2], offset: 0 },
      { suffix: 'col', shape: [3, 1], stride: [4, 1], offset: 3 },
    ];
    const storages: Record<string, Uint8Array> = {};
    const tensors = dtypes.flatMap(([storageType, itemsize], key) => {
      storages[key] = Uint8Array.from({ length: 12 * itemsize }, (_, i) => (i * 37 + key) & 0xff);
      return views.map((v) => ({
        name: `${storageType}.${v.suffix}`,
        key: String(key),
        numel: 12,
        storageType,
        ...v,
      }));
    });
    const pickle = stateDictPickle(tensors);
    const stored = torchZip(pickle, storages);
    // Shifting the archive in memory moves every stored member through all four alignments; the
    // deflated archive's members are fresh, aligned buffers.
    const layouts = [0, 1, 2, 3].map((shift) => {
      const buffer = new Uint8Array(stored.length + shift);
      buffer.set(stored, shift);
      return buffer.subarray(shift);
    });
    for (const bytes of [...layouts, torchZip(pickle, storages, { level: 6 })]) {
      const ckpt = readPytorchBin(bytes);
      for (const t of tensors) {
        const itemsize = (dtypes.find(([type]) => type === t.storageType) as (typeof dtypes)[number])[1];
        const expected = rowMajorCopy(storages[t.key] as Uint8Array, itemsize, t.offset, t.shape, t.stride);
        expect(Array.from(ckpt.get(t.name).bytes), t.name).toEqual(Array.from(expected));
      }
    }
  });

  it('reads files whose CRC fields are 0 (torch.save under set_crc32_options(False)), and can skip the check', () => {
    const bytes = torchZip(stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4] }]), {
      '0': range12,
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const noCrc = bytes.slice();
    const noCrcView = new DataView(noCrc.buffer);
    for (let at = 0; at + 4 <= bytes.length; at++) {
      if (view.getUint32(at, true) === 0x02014b50) noCrcView.setUint32(at + 16, 0, true); // central
      if (view.getUint32(at, true) === 0x04034b50) noCrcView.setUint32(at + 14, 0, true); // local
    }
    expect(Array.from(readPytorchBin(noCrc).float32('m'))).toEqual(range12AsNumbers);
    // With the check off, a flipped byte in a storage comes through as data.
    const flipped = bytes.slice();
    const at = indexOf(flipped, range12);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    expect(readPytorchBin(flipped, { verifyChecksums: false }).get('m').bytes[0]).toBe(
      (range12[0] as number) ^ 0x01,
    );
    expect(() => readPytorchBin(flipped)).toThrow(/zip member "archive\/data\/0" fails its CRC-32 check/);
  });
});

describe('crc32', () => {
  it('agrees with zlib at every length and alignment (word-sliced middle, byte-wise ends)', () => {
    const data = Uint8Array.from({ length: 4096 + 8 }, (_, i) => (i * 131 + (i >> 7)) & 0xff);
    for (let start = 0; start < 4; start++) {
      for (const length of [0, 1, 3, 15, 16, 63, 64, 65, 127, 128, 129, 1000, 4096]) {
        const slice = data.subarray(start, start + length);
        expect(crc32(slice), `${length} bytes at ${start}`).toBe(zlibCrc32(slice));
      }
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
  });
});

/** The items of a strided view in row-major order, one index at a time (the slow, obvious way). */
function rowMajorCopy(
  storage: Uint8Array,
  itemsize: number,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
): Uint8Array {
  const numel = shape.reduce((n, d) => n * d, 1);
  const out = new Uint8Array(numel * itemsize);
  for (let n = 0; n < numel; n++) {
    let rest = n;
    let source = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      source += (rest % (shape[d] as number)) * (stride[d] as number);
      rest = Math.floor(rest / (shape[d] as number));
    }
    out.set(storage.subarray(source * itemsize, (source + 1) * itemsize), n * itemsize);
  }
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
