import { describe, expect, it } from 'vitest';
import { denormalizeValue, normalize } from './normalize.js';

const all = new Uint8Array(256 * 3);
for (let v = 0; v < 256; v++) all.set([v, v, v], 3 * v);
const pixels = normalize({ width: 256, height: 1, channels: 3, data: all });

describe('normalize', () => {
  it('maps 0 -> -1 and 255 -> 1 and is increasing', () => {
    expect(pixels[0]).toBe(-1);
    expect(pixels[255 * 3]).toBe(1);
    for (let v = 1; v < 256; v++) expect(pixels[3 * v]).toBeGreaterThan(pixels[3 * (v - 1)] as number);
  });

  it('rounds the product to float32 before subtracting 1 (HF order), not with a float32 multiplier', () => {
    // 48 is one of the 111 values where the two orders disagree in the last bit.
    expect(pixels[48 * 3]).toBe(Math.fround(Math.fround(48 / 127.5) - 1));
    expect(pixels[48 * 3]).toBe(-0.6235294342041016);
    expect(pixels[48 * 3]).not.toBe(Math.fround(Math.fround(48 * Math.fround(1 / 127.5)) - 1));
  });

  it('is undone exactly by denormalizeValue for every byte', () => {
    for (let v = 0; v < 256; v++) expect(denormalizeValue(pixels[3 * v] as number)).toBe(v);
  });

  it('denormalizeValue rounds half to even and clips', () => {
    expect(denormalizeValue(0)).toBe(128); // 127.5 -> 128 (even)
    // These x give 127.5 * (x + 1) exactly n + 0.5 in float64; Math.round alone would go up.
    expect(denormalizeValue(126.5 / 127.5 - 1)).toBe(126);
    expect(denormalizeValue(128.5 / 127.5 - 1)).toBe(128);
    expect(denormalizeValue(100.5 / 127.5 - 1)).toBe(100);
    expect(denormalizeValue(200.5 / 127.5 - 1)).toBe(200);
    expect(denormalizeValue(-3)).toBe(0);
    expect(denormalizeValue(2)).toBe(255);
  });

  it('refuses non-RGB input', () => {
    expect(() => normalize({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) })).toThrow(
      /call toRGB first/,
    );
  });
});
