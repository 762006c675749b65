import { describe, expect, it } from 'vitest';
import { ImageError } from './image-error.js';
import { checkPixelCount, DEFAULT_MAX_PIXELS } from './pixel-limit.js';

describe('checkPixelCount', () => {
  it('accepts up to the limit and refuses one pixel more, naming the image and the limit', () => {
    expect(() => checkPixelCount(24, 24, 576, 'small.png')).not.toThrow();
    const error = (() => {
      try {
        checkPixelCount(24, 24, 575, 'small.png');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).message).toBe(
      'small.png: 24x24 is 576 pixels, over the limit of 575 (maxPixels)',
    );
  });

  it('refuses an image without pixels', () => {
    expect(() => checkPixelCount(0, 5, DEFAULT_MAX_PIXELS, 'empty')).toThrow(
      'empty: image has no pixels (0x5)',
    );
  });

  it('defaults to 64 megapixels: an 8192×8192 image passes, a 30000×30000 bomb does not', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(8192 * 8192);
    expect(() => checkPixelCount(8192, 8192, DEFAULT_MAX_PIXELS, 'photo')).not.toThrow();
    expect(() => checkPixelCount(30000, 30000, DEFAULT_MAX_PIXELS, 'bomb')).toThrow(/over the limit/);
  });
});
