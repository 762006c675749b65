// Hostile files made at test time (too large, or of kinds git cannot hold): the cases of issue 16's
// table, shared by the unit tests that read them as bytes and the CLI tests that read them as files.
import { crc32, deflateSync } from 'node:zlib';

export { jpegMarkersWithScans } from './hostile-bytes.js';

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
 * million one-pixel rows, the issue's strip that takes a decoder a minute.
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
 * A zip archive of `files`, stored (no compression), as `torch.save` writes one: for `.bin`
 * checkpoints whose pickle says what a test needs.
 */
export function storedZip(files: Record<string, Uint8Array>): Uint8Array<ArrayBuffer> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Uint8Array.from(Buffer.concat([...locals, directory, end]));
}

/**
 * A safetensors file (`bytes`) whose first tensor entry gains a field `junk` holding `count` copies
 * of `empty` (`[]` or `{}`): the issue's header that hides millions of empty values in a field the
 * reference ignores. 33 million keep it just under the format's 100 MB header limit.
 */
export function withJunkInHeader(
  bytes: Uint8Array,
  empty: '[]' | '{}',
  count: number,
): Uint8Array<ArrayBuffer> {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  const first = Object.keys(header).find((key) => key !== '__metadata__');
  const junk = `[${`${empty},`.repeat(count - 1)}${empty}]`;
  const members = Object.entries(header).map(([key, value]) =>
    key === first
      ? `${JSON.stringify(key)}:${JSON.stringify(value).slice(0, -1)},"junk":${junk}}`
      : `${JSON.stringify(key)}:${JSON.stringify(value)}`,
  );
  const json = Buffer.from(`{${members.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + (file.length - 8 - length));
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  out.set(file.subarray(8 + length), 8 + padded);
  return out;
}
