import { readFileSync } from 'node:fs';
import { sharedPath } from '@imagegpt/test-kit';
import fc from 'fast-check';
import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import {
  type ByteRangeReader,
  readSafetensors,
  readSafetensorsByRange,
  safetensorsLayout,
  writeSafetensors,
} from './safetensors.js';
import { expectOnlyCheckpointErrors } from './test-utils/corruption.js';
import { expectSameCheckpoint } from './test-utils/same-checkpoint.js';

/** A safetensors file whose header is exactly `header` (no validation): for hostile inputs. */
function rawFile(header: unknown, dataBytes = 0, declaredLength?: bigint): Uint8Array {
  const json = strToU8(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** A {@link ByteRangeReader} over memory that records its reads and copies like a real one. */
function ranges(bytes: Uint8Array): ByteRangeReader & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    size: bytes.length,
    reads,
    read: async (offset, length) => {
      if (offset + length > bytes.length) throw new Error(`read past the end: ${offset}+${length}`);
      reads.push([offset, length]);
      return bytes.slice(offset, offset + length);
    },
  };
}

/** The error each reader throws on `bytes` (undefined when it reads the file). */
async function errorsOf(bytes: Uint8Array, source?: string): Promise<[unknown, unknown]> {
  const options = source === undefined ? {} : { source };
  let sync: unknown;
  try {
    readSafetensors(bytes, options);
  } catch (e) {
    sync = e;
  }
  const ranged = await readSafetensorsByRange(ranges(bytes), options).then(
    () => undefined,
    (e: unknown) => e,
  );
  return [sync, ranged];
}

/** Both readers must refuse `bytes` with the same CheckpointError. */
async function expectRefused(bytes: Uint8Array, message: string | RegExp): Promise<void> {
  const [sync, ranged] = await errorsOf(bytes, 'bad.safetensors');
  expect(sync).toBeInstanceOf(CheckpointError);
  expect((sync as CheckpointError).file).toBe('bad.safetensors');
  expect((sync as Error).message).toMatch(message);
  expect(ranged).toBeInstanceOf(CheckpointError);
  expect((ranged as Error).message).toBe((sync as Error).message);
  expect((ranged as CheckpointError).tensor).toBe((sync as CheckpointError).tensor);
}

const small = () =>
  writeSafetensors(
    [
      { name: 'half', dtype: 'F16', shape: [3], data: Uint16Array.of(0x3c00, 0xc100, 0x7bff) },
      { name: 'w', dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      { name: 'ids', dtype: 'I64', shape: [2], data: BigInt64Array.of(5n, -1n) },
      { name: 'loss', dtype: 'F32', shape: [], data: Float32Array.of(0.25) },
    ],
    { format: 'pt' },
  );

describe('writeSafetensors → readSafetensors', () => {
  it('round-trips names, shapes, values and metadata, aligned for zero-copy reads', () => {
    const bytes = small();
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const ckpt = readSafetensors(bytes, { source: 'small.safetensors' });
    expect(ckpt.source).toBe('small.safetensors');
    expect(ckpt.metadata).toEqual({ format: 'pt' });
    expect(ckpt.names()).toEqual(['half', 'w', 'ids', 'loss']);
    expect(ckpt.get('w').shape).toEqual([2, 2]);
    expect(Array.from(ckpt.float32('w'))).toEqual([1, 2, 3, 4]);
    expect(Array.from(ckpt.float32('half'))).toEqual([1, -2.5, 65504]);
    expect(Array.from(ckpt.int64('ids'))).toEqual([5n, -1n]);
    expect(ckpt.get('loss').shape).toEqual([]);
    expect(ckpt.numElements('loss')).toBe(1);
    expect(Array.from(ckpt.float32('loss'))).toEqual([0.25]);
    // Widest dtype first, so I64 sits at data offset 0 and each view shares the file's buffer.
    expect(ckpt.get('ids').bytes.byteOffset).toBe(8 + headerLength);
    expect(ckpt.float32('w').buffer).toBe(bytes.buffer);
    expect(ckpt.int64('ids').buffer).toBe(bytes.buffer);
  });

  it('round-trips random float32 tensors (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), fc.integer()), {
          maxLength: 5,
        }),
        (specs) => {
          const tensors = specs.map(([shape, seed], i) => {
            const n = shape.reduce((a, b) => a * b, 1);
            return {
              name: `t${i}`,
              dtype: 'F32' as const,
              shape,
              data: Float32Array.from({ length: n }, (_, j) => Math.fround((seed + j) / 7)),
            };
          });
          const ckpt = readSafetensors(writeSafetensors(tensors));
          expect(ckpt.names()).toEqual(tensors.map((t) => t.name));
          for (const t of tensors) {
            expect(ckpt.get(t.name).shape).toEqual(t.shape);
            expect(Array.from(ckpt.float32(t.name))).toEqual(Array.from(t.data));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('safetensorsLayout: its header, then each tensor in its order, is writeSafetensors byte for byte', () => {
    const tensors = [
      { name: 'half', dtype: 'F16' as const, shape: [3], data: Uint16Array.of(0x3c00, 0xc100, 0x7bff) },
      { name: 'w', dtype: 'F32' as const, shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      { name: 'ids', dtype: 'I64' as const, shape: [2], data: BigInt64Array.of(5n, -1n) },
    ];
    const { header, order, dataLength } = safetensorsLayout(tensors, { format: 'pt' });
    expect(order).toEqual(['ids', 'w', 'half']);
    expect(dataLength).toBe(16 + 16 + 6);
    const byName = new Map(tensors.map((t) => [t.name, t.data]));
    const parts = [header, ...order.map((name) => new Uint8Array(byName.get(name)!.buffer))];
    expect(Buffer.concat(parts)).toEqual(Buffer.from(writeSafetensors(tensors, { format: 'pt' })));
    // The layout needs no data: a file too large for one buffer is laid out from its shapes alone.
    const big = safetensorsLayout([{ name: 'features', dtype: 'F32', shape: [2_000_000, 1536] }]);
    expect(big.dataLength).toBe(2_000_000 * 1536 * 4);
  });

  it('refuses inconsistent inputs', () => {
    expect(() =>
      writeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: new Float32Array(2) }]),
    ).toThrow('safetensors output, tensor "x": F32 [3] needs 12 bytes, the data has 8');
    const t = { name: 'x', dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) };
    expect(() => writeSafetensors([t, t])).toThrow('appears twice');
    expect(() => writeSafetensors([{ ...t, name: '__metadata__' }])).toThrow('reserved');
  });
});

describe('readSafetensors on hostile or broken files', () => {
  it('refuses every truncation of a small file with a CheckpointError, the same from both readers', async () => {
    const bytes = small();
    for (let length = 0; length < bytes.length; length++) {
      const [sync, ranged] = await errorsOf(bytes.subarray(0, length));
      expect(sync, `truncated to ${length} bytes`).toBeInstanceOf(CheckpointError);
      expect((ranged as Error).message, `truncated to ${length} bytes`).toBe((sync as Error).message);
    }
  });

  it('refuses a header length of 2^60 or beyond the file, before reading it', async () => {
    await expectRefused(
      rawFile({}, 0, 2n ** 60n),
      /header length 1152921504606846976 exceeds the 2 bytes after it/,
    );
    await expectRefused(rawFile({}, 0, 2n ** 64n - 1n), /header length 18446744073709551615 exceeds/);
    await expectRefused(rawFile({}, 0, 3n), /header length 3 exceeds the 2 bytes/);
    await expectRefused(Uint8Array.of(1, 0, 0), /3 bytes long, too short/);
  });

  it('refuses headers that are not a JSON object', async () => {
    await expectRefused(rawFile('{"w": {"dtype": "F32",'), /header \(\d+ bytes\) is not JSON/);
    await expectRefused(rawFile('[1, 2]'), /header must be a JSON object/);
    await expectRefused(rawFile('null'), /header must be a JSON object/);
    await expectRefused(rawFile({ __metadata__: ['pt'] }), /__metadata__ must be an object of strings/);
    await expectRefused(
      rawFile({ __metadata__: { format: 1 } }),
      /__metadata__\["format"\] must be a string, got 1/,
    );
  });

  it('refuses out-of-range, reversed and overlapping data_offsets', async () => {
    const entry = (data_offsets: unknown, shape: unknown = [2], dtype: unknown = 'F32') => ({
      dtype,
      shape,
      data_offsets,
    });
    await expectRefused(
      rawFile({ w: entry([0, 8]) }, 4),
      /tensor "w": data_offsets \[0, 8\] run past the 4 data bytes/,
    );
    await expectRefused(rawFile({ w: entry([8, 0]) }, 8), /data_offsets \[8, 0\] begin after they end/);
    await expectRefused(rawFile({ w: entry([-8, 0]) }, 8), /must be \[begin, end\], non-negative integers/);
    await expectRefused(rawFile({ w: entry([0, 2 ** 60]) }, 8), /must be \[begin, end\]/);
    await expectRefused(
      rawFile({ a: entry([0, 8]), b: entry([4, 12]) }, 12),
      /tensor "b": data_offsets \[4, 12\] overlap "a" \[0, 8\]/,
    );
    await expectRefused(rawFile({ a: entry([0, 8]), b: entry([0, 8]) }, 8), /overlap/);
  });

  it('refuses a tensor name that appears twice, however it is spelled', async () => {
    const e = '{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}';
    const e2 = '{"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}';
    const duplicate = /tensor "w": the header names this tensor more than once/;
    await expectRefused(rawFile(`{"w": ${e}, "w": ${e2}}`, 8), duplicate);
    await expectRefused(rawFile(`{"w": ${e}, "\\u0077": ${e2}}`, 8), duplicate);
    await expectRefused(
      rawFile(`{"__metadata__": {"w": "x"}, "w": ${e}, "v": {"w": 1}, "w" : ${e2}}`, 8),
      duplicate,
    );
    await expectRefused(
      rawFile(`{"__proto__": ${e}, "__proto__": ${e2}}`, 8),
      /tensor "__proto__": the header names this tensor more than once/,
    );
    await expectRefused(
      rawFile(`{"__metadata__": {}, "__metadata__": {"a": "b"}, "w": ${e}}`, 4),
      /^bad\.safetensors: the header has "__metadata__" more than once$/,
    );
    // Names that only look alike, or repeat inside an entry's string values, are fine.
    const ok = readSafetensors(
      rawFile(
        `{"__proto__": ${e}, "w\\"": ${e2}, "w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}}`,
        8,
      ),
    );
    expect(ok.names()).toEqual(['__proto__', 'w"', 'w']);
    const proto = readSafetensors(rawFile(`{"__metadata__": {"__proto__": "x"}, "a,\\u0022": ${e}}`, 4));
    expect(Object.entries(proto.metadata)).toEqual([['__proto__', 'x']]);
    expect(proto.names()).toEqual(['a,"']);
  });

  it('refuses data areas the tensors do not tile exactly: gaps, leading and trailing bytes', async () => {
    const entry = (begin: number, end: number) => ({
      dtype: 'U8',
      shape: [end - begin],
      data_offsets: [begin, end],
    });
    await expectRefused(
      rawFile({ a: entry(0, 4), b: entry(8, 12) }, 12),
      /tensor "b": data_offsets \[8, 12\] leave data bytes \[4, 8\] unreferenced \(after "a" \[0, 4\]\)/,
    );
    await expectRefused(
      rawFile({ b: entry(4, 8), a: entry(8, 12) }, 12),
      /tensor "b": data_offsets \[4, 8\] leave data bytes \[0, 4\] unreferenced \(no tensor starts at 0\)/,
    );
    await expectRefused(
      rawFile({ a: entry(0, 4), b: entry(4, 8) }, 12),
      /tensor "b": ends at data offset 8 as the last tensor, but data bytes \[8, 12\] are unreferenced/,
    );
    await expectRefused(rawFile({ __metadata__: {} }, 4), /holds no tensors, but data bytes \[0, 4\]/);
    await expectRefused(
      rawFile({ a: entry(0, 8), e: entry(4, 4), b: entry(8, 12) }, 12),
      /tensor "e": data_offsets \[4, 4\] overlap "a" \[0, 8\]/,
    );
    // Out of header order and with empty tensors between them is still an exact tiling.
    const ckpt = readSafetensors(
      rawFile({ b: entry(4, 12), e: entry(4, 4), a: entry(0, 4), z: entry(12, 12) }, 12),
    );
    expect(ckpt.names()).toEqual(['b', 'e', 'a', 'z']);
    expect(readSafetensors(rawFile({})).names()).toEqual([]);
  });

  it('refuses unknown dtypes, bad shapes and byte counts that do not match the shape', async () => {
    await expectRefused(
      rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16),
      /dtype "F128" is not one of F64, F32/,
    );
    await expectRefused(
      rawFile({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, 8),
      /shape \[2,-1\] must be an array of non-negative integers/,
    );
    await expectRefused(rawFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, 8), /shape/);
    await expectRefused(
      rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
      /F32 \[3\] needs 12 bytes but data_offsets \[0, 8\] hold 8/,
    );
    await expectRefused(
      rawFile({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8),
      /needs \d.*bytes/,
    );
    await expectRefused(rawFile({ w: { dtype: 'F32', shape: [2] } }, 8), /data_offsets undefined/);
    await expectRefused(rawFile({ w: 5 }), /entry must be an object/);
  });

  it('reads zero-sized tensors and scalars', () => {
    const ckpt = readSafetensors(
      rawFile(
        {
          e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] },
          s: { dtype: 'F32', shape: [], data_offsets: [0, 4] },
        },
        4,
      ),
    );
    expect(ckpt.float32('e').length).toBe(0);
    expect(ckpt.numElements('s')).toBe(1);
  });

  it('throws only CheckpointError on random corruptions (property)', () => {
    const valid = small();
    expectOnlyCheckpointErrors(valid, (bytes) => readSafetensors(bytes));
  });
});

describe('readSafetensorsByRange', () => {
  it('gives the same checkpoint as readSafetensors, reading each tensor once in file order', async () => {
    const bytes = small();
    const reader = ranges(bytes);
    const progress: [number, number][] = [];
    const ckpt = await readSafetensorsByRange(reader, {
      source: 'small.safetensors',
      onProgress: (loaded, total) => progress.push([loaded, total]),
    });
    expectSameCheckpoint(ckpt, readSafetensors(bytes, { source: 'small.safetensors' }));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const dataStart = 8 + headerLength;
    // Prefix, header, then I64 ids, F32 w, F32 loss, F16 half (widest first, as written).
    expect(reader.reads).toEqual([
      [0, 8],
      [8, headerLength],
      [dataStart, 16],
      [dataStart + 16, 16],
      [dataStart + 32, 4],
      [dataStart + 36, 6],
    ]);
    expect(progress.map(([loaded]) => loaded)).toEqual([
      dataStart,
      dataStart + 16,
      dataStart + 32,
      dataStart + 36,
      bytes.length,
    ]);
    expect(progress.every(([, total]) => total === bytes.length)).toBe(true);
    // Each tensor owns its read, so aligned typed views come for free.
    expect(ckpt.float32('w').buffer).not.toBe(bytes.buffer);
    expect(Array.from(ckpt.int64('ids'))).toEqual([5n, -1n]);
  });

  it('gives the same checkpoint as readSafetensors on the golden tiny-causal model', async () => {
    const bytes = new Uint8Array(readFileSync(sharedPath('golden', 'tiny-causal', 'model.safetensors')));
    const reader = ranges(bytes);
    const ckpt = await readSafetensorsByRange(reader, { source: 'tiny-causal' });
    expectSameCheckpoint(ckpt, readSafetensors(bytes, { source: 'tiny-causal' }));
    expect(ckpt.names().length).toBeGreaterThan(10);
    expect(Math.max(...reader.reads.map(([, length]) => length))).toBeLessThan(bytes.length / 2);
    expect(reader.reads.reduce((n, [, length]) => n + length, 0)).toBe(bytes.length);
  });

  it('checks every offset against the file size before reading any tensor', async () => {
    const bytes = rawFile(
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      8,
    );
    const reader = ranges(bytes);
    await expect(readSafetensorsByRange(reader)).rejects.toThrow(
      /tensor "b": data_offsets \[4, 12\] run past the 8 data bytes/,
    );
    expect(reader.reads.map(([offset]) => offset)).toEqual([0, 8]);
    const huge = ranges(rawFile({}, 0, 2n ** 60n));
    await expect(readSafetensorsByRange(huge)).rejects.toThrow(/header length \d+ exceeds/);
    expect(huge.reads).toEqual([[0, 8]]);
  });

  it('refuses a reader that returns the wrong number of bytes, or claims a bad size', async () => {
    const bytes = small();
    const short: ByteRangeReader = {
      size: bytes.length,
      read: async (offset, length) => bytes.slice(offset, offset + Math.min(length, 10)),
    };
    await expect(readSafetensorsByRange(short, { source: 's' })).rejects.toThrow(
      /^s: reading \d+ bytes at offset 8 returned 10 bytes/,
    );
    await expect(readSafetensorsByRange({ size: -1, read: short.read })).rejects.toThrow(
      'size -1 is not a byte count',
    );
  });

  it('agrees with readSafetensors on random corruptions (property)', async () => {
    const valid = small();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (edits) => {
          const bytes = valid.slice();
          for (const [at, value] of edits) bytes[at] = value;
          const [sync, ranged] = await errorsOf(bytes);
          if (sync === undefined) {
            expect(ranged).toBeUndefined();
            expectSameCheckpoint(await readSafetensorsByRange(ranges(bytes)), readSafetensors(bytes));
          } else {
            expect(sync).toBeInstanceOf(CheckpointError);
            expect((ranged as Error | undefined)?.message).toBe((sync as Error).message);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('readSafetensors bounds what a header can make it do', () => {
  const e = (begin: number, end: number, extra = '') =>
    `{"dtype": "U8", "shape": [${end - begin}], "data_offsets": [${begin}, ${end}]${extra}}`;

  it('skips unknown fields of an entry unbuilt, and refuses more than 65,536 values in them', async () => {
    const ok = readSafetensors(rawFile(`{"w": ${e(0, 4, ', "note": {"by": ["me", 1]}')}}`, 4));
    expect(ok.names()).toEqual(['w']);
    // The issue's header hides millions of empty arrays in such a field; a few hundred thousand show it.
    const junk = `[${'[],'.repeat(300_000)}[]]`;
    const before = process.memoryUsage().heapUsed;
    await expectRefused(
      rawFile(`{"w": ${e(0, 4, `, "junk": ${junk}`)}}`, 4),
      /^bad\.safetensors, tensor "w": field "junk" and the other unknown fields hold more than 65536 JSON values; a safetensors writer adds no such fields$/,
    );
    // Scanned, not built: 300 000 arrays would take tens of MB of heap.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(24 * 2 ** 20);
  });

  it('refuses more entries than maxSafetensorsEntries, deeper nesting than 64 and a rank over 64', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => `"t${i}": ${e(i, i + 1)}`).join(', ');
    const file = rawFile(`{${entries}}`, 5);
    expect(readSafetensors(file).names()).toHaveLength(5);
    expect(() => readSafetensors(file, { source: 'f', limits: { maxSafetensorsEntries: 4 } })).toThrow(
      'f: the header lists more than 4 entries (FileLimits.maxSafetensorsEntries; a real model has a few thousand)',
    );
    await expectRefused(
      rawFile(`{"w": ${e(0, 4, `, "deep": ${'['.repeat(100)}${']'.repeat(100)}`)}}`, 4),
      /header \(\d+ bytes\) is not JSON: arrays and objects nest more than 64 deep at character \d+$/,
    );
    const rank65 = `{"w": {"dtype": "U8", "shape": [${new Array(65).fill(1).join(',')}], "data_offsets": [0, 1]}}`;
    await expectRefused(rawFile(rank65, 1), /shape \(66 JSON values\) has more than 64 dimensions/);
  });

  it('quotes at most ~100 characters of a name or a value from the header', async () => {
    const name = 'n'.repeat(10_000);
    const dtype = 'D'.repeat(10_000);
    const [sync] = await errorsOf(
      rawFile(`{"${name}": {"dtype": "${dtype}", "shape": [1], "data_offsets": [0, 1]}}`, 1),
      'bad.safetensors',
    );
    const message = (sync as Error).message;
    expect(message).toMatch(
      /^bad\.safetensors, tensor "n{90,100}\.\.\.: dtype "D{90,100}\.\.\. is not one of F64/,
    );
    expect(message.length).toBeLessThan(400);
  });
});
