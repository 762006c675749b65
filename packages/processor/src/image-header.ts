import { ImageError } from './image-error.js';
import { DEFAULT_MAX_PIXELS } from './pixel-limit.js';

/**
 * Default longest side of an image to decode, in pixels, in `@imagegpt/node` and `@imagegpt/web`
 * alike. Within the pixel limit a 1 × 67,108,864 strip is still legal, and decoders spend a
 * minute on such rows; no photo is that long.
 */
export const DEFAULT_MAX_SIDE = 16_384;

/**
 * Default most scans of a JPEG to decode. A progressive JPEG draws the whole image once per scan,
 * so its cost grows with their number; a real photo has about 10 (libjpeg's progressive script
 * writes 10), a crafted file thousands.
 */
export const DEFAULT_MAX_SCANS = 100;

/** What an image may cost to decode; each is checked from the file's header before decoding. */
export interface ImageLimits {
  /** The most pixels (width × height); default {@link DEFAULT_MAX_PIXELS}. */
  readonly maxPixels?: number;
  /** The longest side; default {@link DEFAULT_MAX_SIDE}. */
  readonly maxSide?: number;
  /** The most scans of a JPEG (progressive ones have several); default {@link DEFAULT_MAX_SCANS}. */
  readonly maxScans?: number;
}

/** What {@link readImageHeader} finds in the first bytes of a file. */
export interface ImageHeader {
  readonly format: 'png' | 'jpeg' | 'gif' | 'webp';
  readonly width: number;
  readonly height: number;
  /** For a JPEG: its scans (SOS markers), counted up to one past the limit asked for. */
  readonly scans?: number;
}

/**
 * Refuses an image of `width` × `height` with no pixels, more than `maxPixels`, or a side longer
 * than `maxSide`, before anything is decompressed; the {@link ImageError} names `source` and the
 * option that raises the limit.
 *
 * @example
 * checkImageSize(1, 67_108_864, {}, 'strip.png'); // throws: … over the limit of 16384 (maxSide)
 */
export function checkImageSize(width: number, height: number, limits: ImageLimits, source: string): void {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxSide = limits.maxSide ?? DEFAULT_MAX_SIDE;
  if (!(width > 0 && height > 0)) throw new ImageError(`${source}: image has no pixels (${width}x${height})`);
  if (width * height > maxPixels) {
    throw new ImageError(
      `${source}: ${width}x${height} is ${width * height} pixels, over the limit of ${maxPixels} (maxPixels)`,
    );
  }
  if (Math.max(width, height) > maxSide) {
    throw new ImageError(
      `${source}: ${width}x${height} has a side of ${Math.max(width, height)} pixels, over the limit of ${maxSide} (maxSide)`,
    );
  }
}

/**
 * Checks what the header of encoded image bytes declares against `limits`, before any decoding:
 * the size ({@link checkImageSize}) when the format is one {@link readImageHeader} reads, and
 * the scans of a JPEG. Returns the header, or undefined for a format it does not read (the
 * decoder's own header then has to be checked).
 *
 * @example
 * checkImageHeader(bytes, { maxScans: 20 }, 'photo.jpg');
 */
export function checkImageHeader(
  bytes: Uint8Array,
  limits: ImageLimits,
  source: string,
): ImageHeader | undefined {
  const maxScans = limits.maxScans ?? DEFAULT_MAX_SCANS;
  const header = readImageHeader(bytes, { maxScans });
  if (header === undefined) return undefined;
  // A JPEG may leave its height to a later marker (0 here): the decoder's own header check then applies.
  if (header.width > 0 && header.height > 0) checkImageSize(header.width, header.height, limits, source);
  if (header.scans !== undefined && header.scans > maxScans) {
    throw new ImageError(
      `${source}: a JPEG of more than ${maxScans} scans, over the limit of ${maxScans} (maxScans; a photo has about 10)`,
    );
  }
  return header;
}

/**
 * The format and size a PNG, JPEG, GIF or WebP declares in its first bytes, and for a JPEG its
 * scans, counted in one pass over its markers (entropy-coded data is skipped with a byte search)
 * and stopped one past `maxScans`. Undefined for other formats or a header too short to read.
 *
 * @example
 * readImageHeader(pngBytes); // { format: 'png', width: 16, height: 16 }
 */
export function readImageHeader(
  bytes: Uint8Array,
  options: { readonly maxScans?: number } = {},
): ImageHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (at: number, text: string) =>
    bytes.length >= at + text.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));
  if (bytes[0] === 0x89 && ascii(1, 'PNG\r\n\x1a\n') && ascii(12, 'IHDR') && bytes.length >= 24) {
    return { format: 'png', width: view.getUint32(16), height: view.getUint32(20) };
  }
  if ((ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) && bytes.length >= 10) {
    return { format: 'gif', width: view.getUint16(6, true), height: view.getUint16(8, true) };
  }
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return webpHeader(bytes, view, ascii);
  if (bytes[0] === 0xff && bytes[1] === 0xd8)
    return jpegHeader(bytes, view, options.maxScans ?? DEFAULT_MAX_SCANS);
  return undefined;
}

function webpHeader(
  bytes: Uint8Array,
  view: DataView,
  ascii: (at: number, text: string) => boolean,
): ImageHeader | undefined {
  if (ascii(12, 'VP8 ') && bytes.length >= 30) {
    return {
      format: 'webp',
      width: view.getUint16(26, true) & 0x3fff,
      height: view.getUint16(28, true) & 0x3fff,
    };
  }
  if (ascii(12, 'VP8L') && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(12, 'VP8X') && bytes.length >= 30) {
    const u24 = (at: number) =>
      (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16);
    return { format: 'webp', width: u24(24) + 1, height: u24(27) + 1 };
  }
  return undefined;
}

/** Start-of-frame markers (C0–CF but DHT C4, JPG C8 and DAC CC): they carry the image size. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function jpegHeader(bytes: Uint8Array, view: DataView, maxScans: number): ImageHeader | undefined {
  let width: number | undefined;
  let height: number | undefined;
  let scans = 0;
  let at = 2;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) {
      // Not at a marker (a corrupt file): resynchronise on the next 0xFF, as decoders do.
      const next = bytes.indexOf(0xff, at);
      if (next < 0) break;
      at = next;
      continue;
    }
    const marker = bytes[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9) break; // end of image
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0x00) {
      at += 2; // markers without a length
      continue;
    }
    if (at + 4 > bytes.length) break;
    const length = view.getUint16(at + 2);
    if (isStartOfFrame(marker) && at + 9 <= bytes.length && width === undefined) {
      height = view.getUint16(at + 5);
      width = view.getUint16(at + 7);
    }
    at += 2 + length;
    if (marker === 0xda) {
      if (++scans > maxScans) break;
      // The scan's entropy-coded data runs to the next marker: 0xFF not followed by 0x00 (a
      // stuffed byte) or a restart marker.
      for (at = bytes.indexOf(0xff, at); at >= 0 && at + 1 < bytes.length; at = bytes.indexOf(0xff, at + 1)) {
        const next = bytes[at + 1] as number;
        if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7)) break;
      }
      if (at < 0) break;
    }
  }
  if (width === undefined || height === undefined) return undefined;
  return { format: 'jpeg', width, height, scans };
}
