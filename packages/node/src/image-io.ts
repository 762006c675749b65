import { FilePolicyError } from '@imagegpt/core';
import {
  checkImageHeader,
  checkImageSize,
  DEFAULT_MAX_PIXELS,
  ImageError,
  type ImageLimits,
  type RawImage,
  upscaleNearest,
} from '@imagegpt/processor';
import sharp, { type Metadata } from 'sharp';
import { NodeError } from './node-error.js';
import { readRegularFile } from './node-file-source.js';

/**
 * The formats decoded, as sharp names them (`heif` is AVIF), with their usual file endings. Others
 * sharp could open, SVG above all, are refused: rendering them runs far more code (XML, CSS, fonts)
 * than an image model needs.
 */
const DECODED_FORMATS: Readonly<Record<string, readonly string[]>> = {
  png: ['.png'],
  jpeg: ['.jpg', '.jpeg'],
  webp: ['.webp'],
  gif: ['.gif'],
  tiff: ['.tif', '.tiff'],
  heif: ['.avif'],
};

/**
 * File endings (lower case, with the dot) of the formats {@link decodeImage} reads: what a tool
 * walking a folder of images should pick up.
 *
 * @example
 * const images = names.filter((n) => IMAGE_FILE_EXTENSIONS.includes(extname(n).toLowerCase()));
 */
export const IMAGE_FILE_EXTENSIONS: readonly string[] = Object.values(DECODED_FORMATS).flat();

/**
 * Seconds sharp may spend decoding one image before it is stopped: the time budget of a decoder
 * whose cost is not linear in the file's size. The header limits keep honest images far below it.
 */
export const DEFAULT_DECODE_TIMEOUT_SECONDS = 30;

/** Options for {@link decodeImage} and {@link readImage}. */
export interface DecodeImageOptions extends ImageLimits {
  /** Refuse images whose header declares more pixels than this (decompression bombs); default {@link DEFAULT_MAX_PIXELS}. */
  maxPixels?: number;
  /** Name used in error messages. */
  source?: string;
  /** Seconds decoding may take; default {@link DEFAULT_DECODE_TIMEOUT_SECONDS}. */
  timeoutSeconds?: number;
}

/**
 * Decodes PNG, JPEG, WebP, GIF, TIFF or AVIF bytes to an 8-bit {@link RawImage} with sharp.
 *
 * 16-bit images are reduced to 8 bits, CMYK and other colour spaces are converted to sRGB,
 * animated images give their first frame, and alpha is kept (the processor drops it). The limits
 * (pixels, longest side, a JPEG's scans) are checked against the header before anything is
 * decompressed, and decoding stops after `timeoutSeconds`.
 *
 * @example
 * ```ts
 * const image = await decodeImage(await readFile('digit.png'));
 * const ids = processor.encode(image);
 * ```
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<RawImage> {
  const source = options.source ?? 'image';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const limits = { ...options, maxPixels };
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (e) {
    throw new ImageError(`${source}: not a readable image (${reason(e)})`);
  }
  if (!Object.hasOwn(DECODED_FORMATS, meta.format)) {
    throw new ImageError(
      `${source}: ${meta.format} images are not supported, expected PNG, JPEG, WebP, GIF, TIFF or AVIF`,
    );
  }
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  checkImageSize(width, height, limits, source);
  // A progressive JPEG costs a pass over the image per scan: count them before decoding.
  if (meta.format === 'jpeg') checkImageHeader(bytes, limits, source);
  try {
    const pipeline = sharp(bytes, { limitInputPixels: maxPixels, pages: 1, failOn: 'error' })
      .timeout({ seconds: options.timeoutSeconds ?? DEFAULT_DECODE_TIMEOUT_SECONDS })
      .toColourspace('srgb');
    const hasAlpha = meta.hasAlpha === true;
    const grey = (meta.channels === 1 || meta.channels === 2) && meta.space !== 'cmyk';
    const shaped =
      grey && !hasAlpha
        ? pipeline.toColourspace('b-w')
        : hasAlpha
          ? pipeline.ensureAlpha()
          : pipeline.removeAlpha();
    const { data, info } = await shaped.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const channels = info.channels;
    if (channels !== 1 && channels !== 3 && channels !== 4) {
      throw new ImageError(`${source}: unsupported channel count ${channels} after decoding`);
    }
    return {
      width: info.width,
      height: info.height,
      channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    };
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError(`${source}: could not decode (${reason(e)})`);
  }
}

/**
 * Reads and decodes an image file; errors name the file. Only regular files are read (the
 * library's reading policy, `readRegularFile`): a device or a FIFO is refused unopened.
 */
export async function readImage(path: string, options: DecodeImageOptions = {}): Promise<RawImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path);
  } catch (e) {
    if (e instanceof FilePolicyError && e.rule === 'kind')
      throw new ImageError(`${path}: not a regular file`);
    if (e instanceof FilePolicyError) throw new ImageError(e.message); // it names the file
    if (e instanceof NodeError) {
      const code = (e.cause as NodeJS.ErrnoException | undefined)?.code;
      throw new ImageError(`${path}: cannot read (${code ?? e.message})`);
    }
    throw e;
  }
  return decodeImage(bytes, { ...options, source: options.source ?? path });
}

/**
 * Encodes an 8-bit image (grey, RGB or RGBA) as a PNG of the same channels with sharp, optionally upscaled by an
 * integer `scale` with nearest neighbour (`upscaleNearest`, the same pixels as `@imagegpt/web`'s
 * `encodePng`); a malformed image or scale is an {@link ImageError}.
 *
 * @example
 * ```ts
 * const { images } = await model.generate({ seed: 1 });
 * await writeFile('digit.png', await encodePng(images![0]!, { scale: 8 }));
 * ```
 */
export async function encodePng(image: RawImage, options: { scale?: number } = {}): Promise<Uint8Array> {
  const { width, height, channels, data } = upscaleNearest(image, options.scale ?? 1, 'encodePng');
  const raw = sharp(data, { raw: { width, height, channels } });
  // sharp would write a grey image as RGB; keep one channel, as the web encoder does.
  const png = await (channels === 1 ? raw.toColourspace('b-w') : raw).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}
