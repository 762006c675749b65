import fc from 'fast-check';
import { strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import { expectOnlyCheckpointErrors } from './test-utils/corruption.js';

/** A safetensors file whose header is exactly `header` (no validation): for hostile inputs. */
function rawFile(header: unknown, dataBytes = 0, declaredLength?: bigint): Uint8Array {
  const json = strToU8(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function expectRefused(bytes: Uint8Array, message: string | RegExp): void {
  let error: unknown;
  try {
    readSafetensors(bytes, { source: 'bad.safetensors' });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as CheckpointError).file).toBe('bad.safetensors');
  expect((error as Error).message).toMatch(message);
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
  it('refuses every truncation of a small file with a CheckpointError', () => {
    const bytes = small();
    for (let length = 0; length < bytes.length; length++) {
      expect(() => readSafetensors(bytes.subarray(0, length)), `truncated to ${length} bytes`).toThrow(
        CheckpointError,
      );
    }
  });

  it('refuses a header length of 2^60 or beyond the file, before reading it', () => {
    expectRefused(
      rawFile({}, 0, 2n ** 60n),
      /header length 1152921504606846976 exceeds the 2 bytes after it/,
    );
    expectRefused(rawFile({}, 0, 2n ** 64n - 1n), /header length 18446744073709551615 exceeds/);
    expectRefused(rawFile({}, 0, 3n), /header length 3 exceeds the 2 bytes/);
    expectRefused(Uint8Array.of(1, 0, 0), /3 bytes long, too short/);
  });

  it('refuses headers that are not a JSON object', () => {
    expectRefused(rawFile('{"w": {"dtype": "F32",'), /header \(\d+ bytes\) is not JSON/);
    expectRefused(rawFile('[1, 2]'), /header must be a JSON object/);
    expectRefused(rawFile('null'), /header must be a JSON object/);
    expectRefused(rawFile({ __metadata__: ['pt'] }), /__metadata__ must be an object of strings/);
    expectRefused(
      rawFile({ __metadata__: { format: 1 } }),
      /__metadata__\["format"\] must be a string, got 1/,
    );
  });

  it('refuses out-of-range, reversed and overlapping data_offsets', () => {
    const entry = (data_offsets: unknown, shape: unknown = [2], dtype: unknown = 'F32') => ({
      dtype,
      shape,
      data_offsets,
    });
    expectRefused(
      rawFile({ w: entry([0, 8]) }, 4),
      /tensor "w": data_offsets \[0, 8\] run past the 4 data bytes/,
    );
    expectRefused(rawFile({ w: entry([8, 0]) }, 8), /data_offsets \[8, 0\] begin after they end/);
    expectRefused(rawFile({ w: entry([-8, 0]) }, 8), /must be \[begin, end\], non-negative integers/);
    expectRefused(rawFile({ w: entry([0, 2 ** 60]) }, 8), /must be \[begin, end\]/);
    expectRefused(
      rawFile({ a: entry([0, 8]), b: entry([4, 12]) }, 12),
      /tensor "b": data_offsets \[4, 12\] overlap "a" \[0, 8\]/,
    );
    expectRefused(rawFile({ a: entry([0, 8]), b: entry([0, 8]) }, 8), /overlap/);
  });

  it('refuses unknown dtypes, bad shapes and byte counts that do not match the shape', () => {
    expectRefused(
      rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16),
      /dtype "F128" is not one of F64, F32/,
    );
    expectRefused(
      rawFile({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, 8),
      /shape \[2,-1\] must be an array of non-negative integers/,
    );
    expectRefused(rawFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, 8), /shape/);
    expectRefused(
      rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8),
      /F32 \[3\] needs 12 bytes but data_offsets \[0, 8\] hold 8/,
    );
    expectRefused(
      rawFile({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8),
      /needs \d.*bytes/,
    );
    expectRefused(rawFile({ w: { dtype: 'F32', shape: [2] } }, 8), /data_offsets undefined/);
    expectRefused(rawFile({ w: 5 }), /entry must be an object/);
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
