import { upscaleNearest } from '@imagegpt/processor';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from './image-io.js';

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
