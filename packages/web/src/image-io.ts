import {
  checkImageHeader,
  checkImageSize,
  DEFAULT_MAX_PIXELS,
  ImageError,
  type ImageLimits,
  type RawImage,
  upscaleNearest,
} from '@imagegpt/processor';
import { decodePng, hasPngSignature } from './png-decode.js';

/**
 * What the browser can hand over as an image: pixels already in memory (`ImageData`), anything a
 * canvas can draw (`ImageBitmap`, a loaded `<img>`, a `<canvas>`, an `OffscreenCanvas`), or encoded
 * bytes in a `Blob` / `File` (PNG, JPEG, WebP, GIF, AVIF: whatever the browser decodes).
 */
export type WebImageInput =
  | ImageData
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | Blob;

/**
 * Options for {@link toRawImage} and {@link decodeImage}: the limits of what an image may cost
 * (`maxSide` and `maxScans` too, checked from the bytes of a PNG, JPEG, GIF or WebP before the
 * browser decodes it) and a name for messages.
 */
export interface WebImageOptions extends ImageLimits {
  /** Refuse images with more pixels than this (decompression bombs); default {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
  /** Name used in error messages. */
  source?: string;
}

type Drawable = ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas;

function isA<T>(name: string, value: unknown): value is T {
  const ctor = (globalThis as Record<string, unknown>)[name];
  // Workers have no HTMLImageElement or HTMLCanvasElement; checking the global first keeps this safe there.
  return typeof ctor === 'function' && value instanceof (ctor as new (...args: never[]) => unknown);
}

/**
 * Converts a browser image to an 8-bit RGBA {@link RawImage}, the input of the image processor.
 *
 * PNG bytes are decoded in JavaScript ({@link decodePng}), so the values are exactly the file's
 * (what Pillow reads), alpha included. Other formats are decoded by the browser
 * (`createImageBitmap`, no colour-space conversion) and, like the drawable inputs, read back through
 * a 2D canvas, which stores colour premultiplied by alpha: opaque pixels are exact, partly
 * transparent ones may move by a few steps. Works in a Web Worker (through `OffscreenCanvas`).
 *
 * @example
 * ```ts
 * const image = await toRawImage(canvas);            // what the visitor drew
 * const [top] = await classifier.classify([image]);
 * ```
 */
export async function toRawImage(input: WebImageInput, options: WebImageOptions = {}): Promise<RawImage> {
  const source = options.source ?? 'image';
  const limits: ImageLimits = { ...options, maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS };
  if (isA<ImageData>('ImageData', input)) {
    checkImageSize(input.width, input.height, limits, source);
    return { width: input.width, height: input.height, channels: 4, data: new Uint8Array(input.data) };
  }
  if (isA<Blob>('Blob', input)) {
    const bytes = new Uint8Array(await input.arrayBuffer());
    // The header's size and a JPEG's scans, before the browser decodes anything.
    checkImageHeader(bytes, limits, source);
    if (hasPngSignature(bytes)) return decodePng(bytes, { ...limits, source });
    const bitmap = await decodeBlob(input, source);
    try {
      // Formats whose header is not read here (AVIF, BMP) are checked once decoded.
      checkImageSize(bitmap.width, bitmap.height, limits, source);
      return draw(bitmap, bitmap.width, bitmap.height, source);
    } finally {
      bitmap.close();
    }
  }
  if (isA<HTMLImageElement>('HTMLImageElement', input)) {
    if (!input.complete || input.naturalWidth === 0) {
      throw new ImageError(`${source}: the <img> has not loaded (await img.decode() first) or is broken`);
    }
    checkImageSize(input.naturalWidth, input.naturalHeight, limits, source);
    return draw(input, input.naturalWidth, input.naturalHeight, source);
  }
  if (
    isA<ImageBitmap>('ImageBitmap', input) ||
    isA<HTMLCanvasElement>('HTMLCanvasElement', input) ||
    isA<OffscreenCanvas>('OffscreenCanvas', input)
  ) {
    checkImageSize(input.width, input.height, limits, source);
    return draw(input, input.width, input.height, source);
  }
  throw new ImageError(
    `${source}: expected ImageData, ImageBitmap, HTMLImageElement, HTMLCanvasElement, OffscreenCanvas or Blob, got ${describe(input)}`,
  );
}

/**
 * Decodes encoded image bytes (PNG, JPEG, WebP, GIF, AVIF) with the browser's decoder; the web
 * counterpart of `@imagegpt/node`'s `decodeImage`.
 *
 * @example
 * ```ts
 * const image = await decodeImage(new Uint8Array(await (await fetch('digit.png')).arrayBuffer()));
 * ```
 */
export async function decodeImage(
  bytes: Uint8Array | ArrayBuffer | Blob,
  options: WebImageOptions = {},
): Promise<RawImage> {
  const blob = isA<Blob>('Blob', bytes)
    ? bytes
    : new Blob([bytes instanceof Uint8Array ? bytes.slice() : bytes]);
  return toRawImage(blob, options);
}

/**
 * An `ImageData` of a {@link RawImage} (grey, RGB or RGBA), ready for `putImageData`, optionally
 * enlarged by an integer `scale` with nearest neighbour so 16×16 digits stay crisp.
 *
 * @example
 * ```ts
 * const [image] = (await model.generate({ seed: 1 })).images;
 * canvas.getContext('2d')!.putImageData(toImageData(image!, { scale: 8 }), 0, 0);
 * ```
 */
export function toImageData(raw: RawImage, options: { scale?: number } = {}): ImageData {
  const { width, height, channels, data } = upscaleNearest(raw, options.scale ?? 1, 'toImageData');
  const out = new Uint8ClampedArray(width * height * 4);
  for (let p = 0, i = 0; p < width * height; p++, i += channels) {
    const o = p * 4;
    if (channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = data[i]!;
      out[o + 3] = 255;
    } else {
      out[o] = data[i]!;
      out[o + 1] = data[i + 1]!;
      out[o + 2] = data[i + 2]!;
      out[o + 3] = channels === 4 ? data[i + 3]! : 255;
    }
  }
  return new ImageData(out, width, height);
}

async function decodeBlob(blob: Blob, source: string): Promise<ImageBitmap> {
  if (typeof createImageBitmap !== 'function') {
    throw new ImageError(`${source}: this environment has no createImageBitmap to decode image bytes`);
  }
  try {
    return await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new ImageError(
      `${source}: not an image the browser can decode (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

function draw(image: Drawable, width: number, height: number, source: string): RawImage {
  const context = canvas2d(width, height, source);
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, width, height);
  return {
    width,
    height,
    channels: 4,
    data: new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length),
  };
}

function canvas2d(
  width: number,
  height: number,
  source: string,
): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (typeof OffscreenCanvas === 'function') {
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (context !== null) return context;
  }
  const doc = (globalThis as { document?: Document }).document;
  const context = doc?.createElement('canvas');
  if (context !== undefined) {
    context.width = width;
    context.height = height;
    const c = context.getContext('2d', { willReadFrequently: true });
    if (c !== null) return c;
  }
  throw new ImageError(`${source}: no 2D canvas (OffscreenCanvas or document) to read pixels with`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}
