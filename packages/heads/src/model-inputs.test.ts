import { ImageGPTImageProcessor, type RawImage } from '@imagegpt/processor';
import { describe, expect, it } from 'vitest';
import { HeadsError } from './heads-error.js';
import { toTokenRows } from './model-inputs.js';

const clusters = [
  [-1, -1, -1],
  [1, 1, 1],
];
const image: RawImage = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) };

describe('toTokenRows', () => {
  it("turns images into the processor's ids and copies id lists", () => {
    const processor = ImageGPTImageProcessor.fromJSON({ clusters, size: [1, 2] });
    expect(toTokenRows([image, [1, 0]], processor, 'classify')).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('refuses an image when the processor gives pixel values instead of ids, naming the input', () => {
    const processor = ImageGPTImageProcessor.fromJSON({ clusters, size: [1, 2], do_color_quantize: false });
    const run = () => toTokenRows([[0, 1], image], processor, 'classify');
    expect(run).toThrow(HeadsError);
    expect(run).toThrow(/^classify: inputs\[1\]: .*do_color_quantize off/);
  });
});
