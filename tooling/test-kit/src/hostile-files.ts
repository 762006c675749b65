// Hostile files made at test time (too large, or of kinds git cannot hold): the cases of issue 16's
// table, shared by the unit tests that read them as bytes and the CLI tests that read them as files.
import { crc32, deflateSync } from 'node:zlib';

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A valid 1-bit grey PNG of `width` × `height` black pixels: a few hundred kilobytes even for 67
 * million one-pixel rows, the strip that takes a decoder a minute.
 *
 * @example
 * const strip = blackPng(1, 67_108_864); // ~130 KB, exactly the default pixel limit
 */
export function blackPng(width: number, height: number): Uint8Array<ArrayBuffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grey
  const rowBytes = 1 + Math.ceil(width / 8);
  const idat = deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Uint8Array.from(
    Buffer.concat([
      PNG_SIGNATURE,
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', idat),
      pngChunk('IEND', new Uint8Array(0)),
    ]),
  );
}

/**
 * `jpeg` (a progressive JPEG) with its last scan repeated `copies` more times before the end
 * marker: what a crafted file does to make a decoder redraw the image thousands of times (libjpeg
 * decodes every copy). The header still declares the same image.
 */
export function repeatLastScan(jpeg: Uint8Array, copies: number): Uint8Array<ArrayBuffer> {
  const bytes = Buffer.from(jpeg);
  const end = bytes.lastIndexOf(Buffer.from([0xff, 0xd9]));
  const lastScan = bytes.lastIndexOf(Buffer.from([0xff, 0xda]), end);
  if (end < 0 || lastScan < 0) throw new Error('not a JPEG with a scan');
  const scan = bytes.subarray(lastScan, end);
  return Buffer.concat([
    bytes.subarray(0, end),
    ...new Array<Buffer>(copies).fill(scan),
    bytes.subarray(end),
  ]);
}

/**
 * The markers of a progressive JPEG of `width` × `height` with `scans` scans and no real image
 * data: enough for a header reader to count scans and read the size, never decodable. For tests of
 * limits that must refuse a file before any decoder sees it.
 */
export function jpegMarkersWithScans(width: number, height: number, scans: number): Uint8Array<ArrayBuffer> {
  // SOF2 (progressive): precision 8, height, width, one component (id 1, sampling 1x1, table 0).
  const frame = [0xff, 0xc2, 0, 11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  // SOS: one component, DC table 0, spectral 0..0, no approximation; then entropy data with a
  // stuffed 0xFF00 and a restart marker, which do not end the scan.
  const scan = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 0, 0, 0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56];
  const out = [0xff, 0xd8, ...frame];
  for (let i = 0; i < scans; i++) out.push(...scan);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
