import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.js';
import { halfToFloat32, toFloat32, type WeightDType } from './dtype.js';
import { CheckpointError } from './errors.js';

const u16Bytes = (values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);
const one = (dtype: WeightDType, bytes: Uint8Array) =>
  new Checkpoint([{ name: 't', dtype, shape: [bytes.length], bytes }], { source: 'mem' });

/** Reference decoding of an IEEE half straight from the definition. */
function halfReference(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * 2 ** -14 * (m / 1024);
  if (e === 31) return m === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (e - 15) * (1 + m / 1024);
}

describe('float16 → float32', () => {
  it('decodes named values exactly', () => {
    const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555];
    const got = Array.from(toFloat32(u16Bytes(halves), 'F16') as Float32Array);
    expect(got).toEqual([
      1,
      -2.5,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -14,
      Infinity,
      -Infinity,
      -0,
      0.333251953125,
    ]);
    expect(Object.is(got[8], -0)).toBe(true);
    expect(Number.isNaN(toFloat32(u16Bytes([0x7e00]), 'F16')?.[0])).toBe(true);
  });

  it('matches the definition for every bit pattern', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const got = halfToFloat32(all);
    for (let h = 0; h < 65536; h++) {
      const want = halfReference(h);
      if (Number.isNaN(want)) expect(Number.isNaN(got[h])).toBe(true);
      else if (!Object.is(got[h], want)) expect.fail(`half 0x${h.toString(16)}: ${got[h]} != ${want}`);
    }
  });
});

describe('bfloat16 → float32', () => {
  it('decodes named values exactly', () => {
    const got = Array.from(
      toFloat32(u16Bytes([0x3f80, 0xc020, 0x7f7f, 0x0001, 0x7f80, 0xff80, 0x4049]), 'BF16') as Float32Array,
    );
    expect(got).toEqual([1, -2.5, 3.3895313892515355e38, 2 ** -133, Infinity, -Infinity, 3.140625]);
  });

  it('is the float32 with the low 16 bits cleared', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        const bits = new Uint32Array(Float32Array.of(x).buffer)[0] as number;
        const truncated = new Float32Array(Uint32Array.of(bits & 0xffff0000).buffer)[0];
        expect(toFloat32(u16Bytes([bits >>> 16]), 'BF16')?.[0]).toBe(truncated);
      }),
    );
  });
});

describe('float8 and float64', () => {
  it('decodes E4M3 (fn) and E5M2', () => {
    expect(
      Array.from(toFloat32(Uint8Array.of(0x38, 0xb8, 0x7e, 0x01, 0x08), 'F8_E4M3') as Float32Array),
    ).toEqual([1, -1, 448, 2 ** -9, 2 ** -6]);
    expect(Number.isNaN(toFloat32(Uint8Array.of(0x7f), 'F8_E4M3')?.[0])).toBe(true);
    expect(
      Array.from(toFloat32(Uint8Array.of(0x3c, 0xc1, 0x7b, 0x7c, 0x01), 'F8_E5M2') as Float32Array),
    ).toEqual([1, -2.5, 57344, Infinity, 2 ** -16]);
  });

  it('rounds F64 to the nearest float32', () => {
    const bytes = new Uint8Array(Float64Array.of(0.1, -1e300, 2.5).buffer);
    expect(Array.from(toFloat32(bytes, 'F64') as Float32Array)).toEqual([Math.fround(0.1), -Infinity, 2.5]);
  });
});

describe('Checkpoint typed access', () => {
  it('returns a view for aligned F32 data and a copy for unaligned data', () => {
    const file = new Uint8Array(13);
    file.set(new Uint8Array(Float32Array.of(1.5, -2).buffer), 4);
    const aligned = new Checkpoint([{ name: 'a', dtype: 'F32', shape: [2], bytes: file.subarray(4, 12) }], {
      source: 'mem',
    });
    const view = aligned.float32('a');
    expect(Array.from(view)).toEqual([1.5, -2]);
    expect(view.buffer).toBe(file.buffer);

    const shifted = new Uint8Array(13);
    shifted.set(file.subarray(4, 12), 5);
    const unaligned = new Checkpoint(
      [{ name: 'a', dtype: 'F32', shape: [2], bytes: shifted.subarray(5, 13) }],
      { source: 'mem' },
    );
    const copy = unaligned.float32('a');
    expect(Array.from(copy)).toEqual([1.5, -2]);
    expect(copy.buffer).not.toBe(shifted.buffer);
  });

  it('widens integers to int64 and refuses mixing floats and ints', () => {
    expect(Array.from(one('I8', Uint8Array.of(0xff, 0x05)).int64('t'))).toEqual([-1n, 5n]);
    expect(Array.from(one('BOOL', Uint8Array.of(0, 2)).int64('t'))).toEqual([0n, 1n]);
    const i64 = new Checkpoint(
      [{ name: 'ids', dtype: 'I64', shape: [], bytes: new Uint8Array(BigInt64Array.of(-7n).buffer) }],
      { source: 'mem' },
    );
    expect(Array.from(i64.int64('ids'))).toEqual([-7n]);
    expect(i64.numElements('ids')).toBe(1);
    expect(() => i64.float32('ids')).toThrow(
      /tensor "ids": has dtype I64; float32\(\) needs one of F64, F32/,
    );
    expect(() => one('F32', new Uint8Array(4)).int64('t')).toThrow(CheckpointError);
    expect(() => one('U64', new Uint8Array(8)).int64('t')).toThrow(/U64/);
  });

  it('names the checkpoint and tensor for unknown names, and refuses wrong byte lengths', () => {
    const ckpt = one('U8', new Uint8Array(3));
    expect(() => ckpt.get('nope')).toThrow(
      'mem, tensor "nope": no such tensor among the 1 in this checkpoint',
    );
    expect(
      () =>
        new Checkpoint([{ name: 'x', dtype: 'F32', shape: [2, 2], bytes: new Uint8Array(15) }], {
          source: 'mem',
        }),
    ).toThrow('F32 [2, 2] needs 16 bytes, got 15');
  });

  it('merges shards and refuses a name in two shards', () => {
    const a = new Checkpoint([{ name: 'x', dtype: 'U8', shape: [1], bytes: Uint8Array.of(1) }], {
      source: 'a',
      metadata: { format: 'pt' },
    });
    const b = new Checkpoint([{ name: 'y', dtype: 'U8', shape: [1], bytes: Uint8Array.of(2) }], {
      source: 'b',
      metadata: { format: 'np' },
    });
    const merged = Checkpoint.merge([a, b], 'ab');
    expect(merged.names()).toEqual(['x', 'y']);
    expect(merged.metadata).toEqual({ format: 'pt' });
    expect(() => Checkpoint.merge([a, b, a], 'aba')).toThrow('aba, tensor "x": appears in both a and a');
  });
});
