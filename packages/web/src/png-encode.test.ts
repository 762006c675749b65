import { describe, expect, it } from 'vitest';
import { decodePng } from './png-decode.js';
import { encodePng } from './png-encode.js';

describe('encodePng', () => {
  it('round-trips grey, RGB and RGBA images through decodePng', async () => {
    for (const channels of [1, 3, 4] as const) {
      const image = {
        width: 3,
        height: 2,
        channels,
        data: Uint8Array.from({ length: 3 * 2 * channels }, (_, i) => (i * 41 + 7) % 256),
      };
      const back = decodePng(await encodePng(image));
      expect(back).toEqual({ ...image, data: Uint8Array.from(image.data) });
    }
  });

  it('upscales with nearest neighbour: each pixel becomes a scale × scale block', async () => {
    const image = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([10, 200]) };
    const back = decodePng(await encodePng(image, { scale: 3 }));
    expect([back.width, back.height, back.channels]).toEqual([6, 3, 1]);
    const row = [10, 10, 10, 200, 200, 200];
    expect(Array.from(back.data)).toEqual([...row, ...row, ...row]);
    await expect(encodePng(image, { scale: 0 })).rejects.toThrow(
      /encodePng: scale must be a positive integer, got 0/,
    );
    await expect(encodePng({ ...image, data: new Uint8Array(1) })).rejects.toThrow(/encodePng/);
  });
});
