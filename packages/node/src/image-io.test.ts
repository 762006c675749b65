import { upscaleNearest } from '@imagegpt/processor';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng, IMAGE_FILE_EXTENSIONS } from './image-io.js';

describe('encodePng (sharp)', () => {
  it.each([1, 3, 4] as const)(
    'round-trips %i channels, upscaled with the processor’s nearest neighbour',
    async (channels) => {
      const image = {
        width: 3,
        height: 2,
        channels,
        data: Uint8Array.from({ length: 3 * 2 * channels }, (_, i) => (i * 37) % 256),
      };
      for (const scale of [1, 3]) {
        const back = await decodeImage(await encodePng(image, { scale }));
        const want = upscaleNearest(image, scale);
        expect([back.width, back.height, back.channels]).toEqual([want.width, want.height, want.channels]);
        expect(Array.from(back.data)).toEqual(Array.from(want.data));
      }
    },
  );
});

describe('IMAGE_FILE_EXTENSIONS', () => {
  it('lists a file ending of every format decodeImage reads, and no other', async () => {
    const grey = { raw: { width: 4, height: 4, channels: 1 as const } };
    const pixels = Uint8Array.from({ length: 16 }, (_, i) => i * 16);
    const written = {
      '.png': 'png',
      '.jpg': 'jpeg',
      '.jpeg': 'jpeg',
      '.webp': 'webp',
      '.gif': 'gif',
      '.tif': 'tiff',
      '.tiff': 'tiff',
      '.avif': 'avif',
    } as const;
    expect([...IMAGE_FILE_EXTENSIONS].sort()).toEqual(Object.keys(written).sort());
    for (const [ending, format] of Object.entries(written)) {
      const bytes = await sharp(pixels, grey).toFormat(format).toBuffer();
      const image = await decodeImage(bytes, { source: `x${ending}` });
      expect([image.width, image.height], ending).toEqual([4, 4]);
    }
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>';
    await expect(decodeImage(new TextEncoder().encode(svg))).rejects.toThrow(/svg images are not supported/);
  });
});
