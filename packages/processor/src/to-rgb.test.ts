import { describe, expect, it } from 'vitest';
import { ImageError } from './image-error.js';
import { toRGB } from './to-rgb.js';

describe('toRGB', () => {
  it('copies grey to R, G and B', () => {
    expect(
      Array.from(toRGB({ width: 2, height: 1, channels: 1, data: new Uint8Array([7, 200]) }).data),
    ).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('drops alpha without compositing', () => {
    const rgba = new Uint8Array([10, 20, 30, 0, 40, 50, 60, 255]);
    expect(Array.from(toRGB({ width: 1, height: 2, channels: 4, data: rgba }).data)).toEqual([
      10, 20, 30, 40, 50, 60,
    ]);
  });

  it('returns a copy of an RGB image', () => {
    const data = new Uint8ClampedArray([1, 2, 3]);
    const out = toRGB({ width: 1, height: 1, channels: 3, data });
    expect(Array.from(out.data)).toEqual([1, 2, 3]);
    expect(out.data).not.toBe(data);
    expect(out.data).toBeInstanceOf(Uint8Array);
  });

  it('names the image in errors', () => {
    expect(() => toRGB({ width: 1, height: 1, channels: 3, data: new Uint8Array(4) }, 'x.png')).toThrow(
      ImageError,
    );
    expect(() => toRGB({ width: 1, height: 1, channels: 3, data: new Uint8Array(4) }, 'x.png')).toThrow(
      /^x\.png: data has 4 bytes/,
    );
  });
});
