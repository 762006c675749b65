import { DEFAULT_MAX_SCANS, DEFAULT_MAX_SIDE, ImageError } from '@imagegpt/processor';
import { blackPng, jpegMarkersWithScans } from '@imagegpt/test-kit/hostile-files';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { toImageData, toRawImage } from './image-io.js';

/** Node has no ImageData; this stand-in has its constructor's shape. The browser suite uses the real one. */
class FakeImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

beforeEach(() => vi.stubGlobal('ImageData', FakeImageData));
afterEach(() => vi.unstubAllGlobals());

describe('toImageData', () => {
  it('expands grey to opaque RGBA and enlarges with nearest neighbour', () => {
    const out = toImageData(
      { width: 2, height: 1, channels: 1, data: new Uint8Array([10, 200]) },
      { scale: 2 },
    );
    expect([out.width, out.height]).toEqual([4, 2]);
    const row = [10, 10, 10, 255, 10, 10, 10, 255, 200, 200, 200, 255, 200, 200, 200, 255];
    expect([...out.data]).toEqual([...row, ...row]);
  });

  it('keeps RGB values and alpha of RGBA', () => {
    expect([
      ...toImageData({ width: 1, height: 1, channels: 3, data: new Uint8Array([1, 2, 3]) }).data,
    ]).toEqual([1, 2, 3, 255]);
    expect([
      ...toImageData({ width: 1, height: 1, channels: 4, data: new Uint8Array([1, 2, 3, 4]) }).data,
    ]).toEqual([1, 2, 3, 4]);
  });

  it('refuses a malformed image or scale, naming the fault', () => {
    expect(() => toImageData({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) })).toThrow(
      /expected width\*height\*channels = 2\*2\*3 = 12/,
    );
    expect(() =>
      toImageData({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, { scale: 1.5 }),
    ).toThrow(/scale must be a positive integer, got 1.5/);
  });
});

describe('toRawImage', () => {
  it('copies ImageData as RGBA without sharing its buffer', async () => {
    const pixels = new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]);
    const raw = await toRawImage(new FakeImageData(pixels, 2, 1) as unknown as ImageData);
    expect(raw).toMatchObject({ width: 2, height: 1, channels: 4 });
    expect([...raw.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    pixels[0] = 99;
    expect(raw.data[0]).toBe(1);
  });

  it('refuses oversized images and unknown inputs', async () => {
    const big = new FakeImageData(new Uint8ClampedArray(4 * 100), 10, 10) as unknown as ImageData;
    await expect(toRawImage(big, { maxPixels: 99, source: 'drawing' })).rejects.toThrow(
      'drawing: 10x10 is 100 pixels, over the limit of 99 (maxPixels)',
    );
    await expect(toRawImage({ width: 1 } as unknown as ImageData)).rejects.toThrow(
      /expected ImageData, ImageBitmap, .* got Object/,
    );
  });
});

describe('image limits checked from the bytes, before the browser decodes', () => {
  it('refuses a 1 x 67,108,864 PNG strip by its side and a JPEG of thousands of scans', async () => {
    await expect(toRawImage(new Blob([blackPng(1, 67_108_864)]), { source: 'strip.png' })).rejects.toThrow(
      new ImageError(
        `strip.png: 1x67108864 has a side of 67108864 pixels, over the limit of ${DEFAULT_MAX_SIDE} (maxSide)`,
      ),
    );
    // Node has no createImageBitmap: reaching the decoder would throw another error than these.
    await expect(
      toRawImage(new Blob([jpegMarkersWithScans(8192, 8192, 3_529)]), { source: 'scans.jpg' }),
    ).rejects.toThrow(
      `scans.jpg: a JPEG of more than ${DEFAULT_MAX_SCANS} scans, over the limit of ${DEFAULT_MAX_SCANS} (maxScans; a photo has about 10)`,
    );
    await expect(
      toRawImage(new Blob([jpegMarkersWithScans(100, 50, 3)]), { source: 'few.jpg', maxSide: 99 }),
    ).rejects.toThrow('few.jpg: 100x50 has a side of 100 pixels, over the limit of 99 (maxSide)');
    await expect(
      toRawImage(new Blob([jpegMarkersWithScans(100, 50, 3)]), { source: 'few.jpg' }),
    ).rejects.toThrow('few.jpg: this environment has no createImageBitmap');
  });
});
