import {
  checkImageHeader,
  checkImageSize,
  ImageError,
  type ImageLimits,
  type RawImage,
} from '@imagegpt/processor';
import { convertIndexedToRgb, decode } from 'fast-png';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` start with the PNG signature. */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Decodes a PNG to an 8-bit {@link RawImage} exactly as Pillow reads it, in JavaScript (fast-png):
 * browsers' decoders premultiply alpha on the way to a canvas, which changes the colour of partly
 * transparent pixels, and the image processor's goldens are Pillow's values. Palettes are
 * expanded, 16-bit samples keep their high byte, 1/2/4-bit grey is scaled to 0–255, and grey+alpha
 * becomes RGBA. No colour management is applied (Pillow applies none either). The size the header
 * declares is checked against `options` (pixels, longest side; the processor's defaults) before
 * anything is inflated.
 *
 * @example
 * ```ts
 * const image = decodePng(new Uint8Array(await (await fetch('digit.png')).arrayBuffer()));
 * ```
 */
export function decodePng(bytes: Uint8Array, options: ImageLimits & { source?: string } = {}): RawImage {
  const source = options.source ?? 'image';
  checkImageHeader(bytes, options, source);
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new ImageError(`${source}: not a readable PNG (${e instanceof Error ? e.message : String(e)})`);
  }
  const { width, height, depth, channels } = png;
  checkImageSize(width, height, options, source);
  if (png.palette !== undefined) {
    const rgb = convertIndexedToRgb(png);
    return { width, height, channels: rgb.length === width * height * 4 ? 4 : 3, data: rgb };
  }
  const samples = unpack(png.data, width, height, channels, depth);
  if (channels === 1 || channels === 3 || channels === 4) return { width, height, channels, data: samples };
  if (channels === 2) {
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = samples[p * 2]!;
      rgba[p * 4 + 3] = samples[p * 2 + 1]!;
    }
    return { width, height, channels: 4, data: rgba };
  }
  throw new ImageError(`${source}: PNG with ${channels} channels, expected 1 to 4`);
}

/** One 8-bit sample per channel, from fast-png's data (16-bit words, or rows of packed sub-byte samples). */
function unpack(
  data: Uint8Array | Uint8ClampedArray | Uint16Array,
  width: number,
  height: number,
  channels: number,
  depth: number,
): Uint8Array {
  const count = width * height * channels;
  if (depth === 8)
    return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(count);
  if (depth === 16) {
    for (let i = 0; i < count; i++) out[i] = data[i]! >> 8;
    return out;
  }
  // 1, 2 or 4 bits (grey only): rows are padded to whole bytes.
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < perRow; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)]!;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * perRow + x] = Math.round((value * 255) / max);
    }
  }
  return out;
}
