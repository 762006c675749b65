import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantizeBlockwise, quantizeBlockwise } from './block-quantize.js';
import { float16Bits, fromFloat16, toFloat16 } from './float16.js';

const matrix = (k: number, n: number) =>
  fc.float32Array({
    minLength: k * n,
    maxLength: k * n,
    noNaN: true,
    noDefaultInfinity: true,
    min: -4,
    max: 4,
  });

describe('quantizeBlockwise (MatMulNBits layout)', () => {
  it.each([8, 4] as const)('%i-bit: every value decodes to within half a step of itself', (bits) => {
    fc.assert(
      fc.property(matrix(40, 3), (w) => {
        const q = quantizeBlockwise(w, 40, 3, bits, 16);
        const back = dequantizeBlockwise(q);
        const blocks = Math.ceil(40 / 16);
        for (let r = 0; r < 40; r++) {
          for (let c = 0; c < 3; c++) {
            const scale = q.scales[c * blocks + Math.floor(r / 16)] as number;
            const err = Math.abs((back[r * 3 + c] as number) - (w[r * 3 + c] as number));
            if (err > scale * 0.5 + 1e-6 * Math.abs(w[r * 3 + c] as number) + 1e-30) return false;
          }
        }
        return true;
      }),
    );
  });

  it('has the documented shapes and packs 4-bit codes low nibble first', () => {
    const k = 32;
    const n = 2;
    const w = new Float32Array(k * n);
    // Column 0 runs 0..15 in block 0 and 15..0 in block 1 (min 0, max 15: scale 1, zero point 0).
    for (let r = 0; r < k; r++) w[r * n] = r < 16 ? r : 31 - r;
    const q = quantizeBlockwise(w, k, n, 4, 16);
    expect(q.data.length).toBe(n * 2 * 8);
    expect(q.scales.length).toBe(n * 2);
    expect(q.zeroPoints.length).toBe(n * 1);
    expect(q.scales[0]).toBe(1);
    expect(q.data[0]).toBe(0 | (1 << 4));
    expect(q.data[8]).toBe(15 | (14 << 4));
    // Column 1 is all zeros: scale 0 and exact zeros back.
    expect(q.scales[2]).toBe(0);
    expect(Array.from(dequantizeBlockwise(q)).filter((_, i) => i % n === 1)).toEqual(new Array(k).fill(0));
  });

  it('keeps zero exact and refuses a bad block size', () => {
    const w = Float32Array.from({ length: 64 }, (_, i) => (i % 5 === 0 ? 0 : Math.sin(i)));
    const back = dequantizeBlockwise(quantizeBlockwise(w, 32, 2, 4, 32));
    w.forEach((v, i) => {
      if (v === 0) expect(back[i]).toBe(0);
    });
    expect(() => quantizeBlockwise(w, 32, 2, 8, 24)).toThrow(/power of two/);
  });
});

describe('float16', () => {
  it('converts known values with round-to-nearest-even', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(float16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('round-trips within half a float16 ulp', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 64, noNaN: true, min: -60000, max: 60000 }),
        (v) => {
          const back = fromFloat16(toFloat16(v));
          return v.every(
            (x, i) => Math.abs((back[i] as number) - x) <= Math.max(Math.abs(x) * 2 ** -11, 2 ** -25),
          );
        },
      ),
    );
  });
});
