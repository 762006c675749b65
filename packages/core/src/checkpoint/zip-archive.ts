import { Inflate, strFromU8 } from 'fflate';
import { CheckpointError } from './errors.js';

/** One member of a {@link ZipArchive}, as its central directory declares it. */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Where the member's (compressed) bytes start in the archive. */
  readonly dataOffset: number;
}

/** Limits on what {@link ZipArchive.open} accepts. */
export interface ZipLimits {
  /** The most bytes all members together may declare once expanded. */
  readonly maxTotalSize: number;
}

/** Deflate cannot expand data more than about 1032 : 1; a larger declared size is a lie. */
const MAX_DEFLATE_RATIO = 1032;
/** Input fed to the inflater per step, which bounds the output produced before each size check. */
const INFLATE_STEP = 16 * 1024;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;

/**
 * A read-only view of a zip archive held in memory, parsed from its central directory (torch
 * writes sizes only there: its local headers use data descriptors). Every size and offset is
 * checked against the file before use, and members are only expanded on demand, into a buffer of
 * their declared size, so a zip bomb is refused instead of filling memory.
 */
export class ZipArchive {
  readonly #bytes: Uint8Array;
  readonly #file: string;
  readonly #entries: ReadonlyMap<string, ZipEntry>;

  private constructor(bytes: Uint8Array, file: string, entries: ReadonlyMap<string, ZipEntry>) {
    this.#bytes = bytes;
    this.#file = file;
    this.#entries = entries;
  }

  /** Parses the central directory; throws {@link CheckpointError} naming `file` if it is malformed. */
  static open(bytes: Uint8Array, file: string, limits: ZipLimits): ZipArchive {
    const fail = (message: string) => new CheckpointError(message, { file });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u16 = (at: number) => view.getUint16(at, true);
    const u32 = (at: number) => view.getUint32(at, true);
    const u64 = (at: number, what: string) => {
      const value = view.getBigUint64(at, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER))
        throw fail(`zip64 ${what} ${value} is not a plausible size`);
      return Number(value);
    };

    const end = findEndRecord(view);
    if (end < 0)
      throw fail('no zip end-of-central-directory record: the file is truncated or not a zip archive');
    let count = u16(end + 10);
    let directorySize = u32(end + 12);
    let directoryOffset = u32(end + 16);
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      const locator = end - 20;
      if (locator < 0 || u32(locator) !== SIG_END64_LOCATOR)
        throw fail('zip64 archive without a zip64 end locator (truncated?)');
      const record = u64(locator + 8, 'end record offset');
      if (record > bytes.length - 56 || u32(record) !== SIG_END64)
        throw fail('zip64 end record is missing or out of range');
      count = u64(record + 32, 'entry count');
      directorySize = u64(record + 40, 'directory size');
      directoryOffset = u64(record + 48, 'directory offset');
    }
    if (directoryOffset + directorySize > end || count * 46 > directorySize) {
      throw fail(
        `zip central directory (${count} entries, ${directorySize} bytes at ${directoryOffset}) does not fit the file (truncated?)`,
      );
    }

    const entries = new Map<string, ZipEntry>();
    let total = 0;
    let at = directoryOffset;
    const directoryEnd = directoryOffset + directorySize;
    for (let i = 0; i < count; i++) {
      if (at + 46 > directoryEnd || u32(at) !== SIG_CENTRAL)
        throw fail(`zip central directory entry ${i} is malformed`);
      const flags = u16(at + 8);
      const method = u16(at + 10);
      const crc32 = u32(at + 16);
      let compressedSize = u32(at + 20);
      let size = u32(at + 24);
      const nameLength = u16(at + 28);
      const extraLength = u16(at + 30);
      const commentLength = u16(at + 32);
      let localOffset = u32(at + 42);
      const next = at + 46 + nameLength + extraLength + commentLength;
      if (next > directoryEnd) throw fail(`zip central directory entry ${i} runs past the directory`);
      const name = strFromU8(bytes.subarray(at + 46, at + 46 + nameLength), (flags & 0x800) === 0);

      // Zip64 sizes live in extra field 0x0001, holding only the fields whose 32-bit slot is full.
      if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
        let extra = at + 46 + nameLength;
        const extraEnd = extra + extraLength;
        let found = false;
        while (extra + 4 <= extraEnd) {
          const id = u16(extra);
          const length = u16(extra + 2);
          let field = extra + 4;
          if (id === 0x0001 && field + length <= extraEnd) {
            const read = (what: string) => {
              if (field + 8 > extra + 4 + length)
                throw fail(`"${name}": zip64 extra field lacks the ${what}`);
              const value = u64(field, what);
              field += 8;
              return value;
            };
            if (size === 0xffffffff) size = read('size');
            if (compressedSize === 0xffffffff) compressedSize = read('compressed size');
            if (localOffset === 0xffffffff) localOffset = read('header offset');
            found = true;
            break;
          }
          extra += 4 + length;
        }
        if (!found)
          throw fail(`"${name}": 32-bit size fields are saturated but there is no zip64 extra field`);
      }

      if (flags & 0x1) throw fail(`"${name}" is encrypted`);
      if (method !== 0 && method !== 8)
        throw fail(
          `"${name}" uses zip compression method ${method}; only stored (0) and deflate (8) are supported`,
        );
      if (method === 0 && size !== compressedSize)
        throw fail(`"${name}" is stored but declares ${size} bytes expanded vs ${compressedSize} stored`);
      if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 64) {
        throw fail(
          `"${name}" declares ${size} bytes expanded from ${compressedSize} compressed, beyond what deflate can produce (zip bomb?)`,
        );
      }
      total += size;
      if (total > limits.maxTotalSize) {
        throw fail(
          `zip members declare more than ${limits.maxTotalSize} bytes in total (at "${name}"); refusing to expand (zip bomb?)`,
        );
      }

      if (localOffset + 30 > directoryOffset || u32(localOffset) !== SIG_LOCAL)
        throw fail(`"${name}": local header missing at ${localOffset}`);
      const dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
      if (dataOffset + compressedSize > directoryOffset)
        throw fail(
          `"${name}": its ${compressedSize} bytes at ${dataOffset} run past the data area (truncated?)`,
        );
      if (entries.has(name)) throw fail(`"${name}" appears twice in the zip`);
      entries.set(name, { name, method, compressedSize, size, crc32, dataOffset });
      at = next;
    }
    return new ZipArchive(bytes, file, entries);
  }

  /** Member names, in central directory order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The member's directory entry, or undefined. */
  entry(name: string): ZipEntry | undefined {
    return this.#entries.get(name);
  }

  /**
   * The member's bytes: a view into the archive when stored, a fresh buffer when deflated (never
   * more than its declared size: expansion stops at the first byte past it).
   *
   * The CRC-32 is checked unless `verify` is false (about 1 GB/s; torch's own reader skips it, but
   * a flipped bit in a weight would otherwise load silently). A declared CRC of 0 means "not
   * recorded": `torch.save` writes 0 when `torch.serialization.set_crc32_options(False)` is in
   * effect, and torch.load reads such files, so they are not refused.
   */
  read(name: string, options: { readonly verify?: boolean } = {}): Uint8Array {
    const entry = this.#entries.get(name);
    if (entry === undefined)
      throw new CheckpointError(`zip member "${name}" does not exist`, { file: this.#file });
    const raw = this.#bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    const data = entry.method === 0 ? raw : this.#inflate(entry, raw);
    if (options.verify !== false && entry.crc32 !== 0 && crc32(data) !== entry.crc32) {
      throw new CheckpointError(`zip member "${name}" fails its CRC-32 check (corrupt file)`, {
        file: this.#file,
      });
    }
    return data;
  }

  #inflate(entry: ZipEntry, raw: Uint8Array): Uint8Array {
    const fail = (message: string) =>
      new CheckpointError(`zip member "${entry.name}" ${message}`, { file: this.#file });
    const out = new Uint8Array(entry.size);
    let written = 0;
    let finished = false;
    const inflater = new Inflate((chunk, final) => {
      if (written + chunk.length > out.length)
        throw fail(`expands beyond its declared ${entry.size} bytes (zip bomb?)`);
      out.set(chunk, written);
      written += chunk.length;
      finished ||= final;
    });
    try {
      for (let at = 0; at < raw.length; at += INFLATE_STEP) {
        inflater.push(raw.subarray(at, at + INFLATE_STEP), at + INFLATE_STEP >= raw.length);
      }
      if (raw.length === 0) inflater.push(raw, true);
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw fail(`is not valid deflate data: ${(error as Error).message}`);
    }
    if (!finished || written !== entry.size)
      throw fail(`expands to ${written} bytes, not the declared ${entry.size}`);
    return out;
  }
}

/** The end record sits in the last 22 + 65535 (comment) bytes; scan back for its signature. */
function findEndRecord(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - 22 - 0xffff);
  for (let at = view.byteLength - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) === SIG_END && at + 22 + view.getUint16(at + 20, true) <= view.byteLength)
      return at;
  }
  return -1;
}

/**
 * CRC-32 tables for slicing by 16: table k (entries 256·k … 256·k + 255) advances a CRC over a byte
 * followed by k zero bytes, so 16 input bytes fold in with 16 independent lookups.
 */
const CRC_TABLES = (() => {
  const table = new Int32Array(256 * 16);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  for (let k = 1; k < 16; k++) {
    for (let n = 0; n < 256; n++) {
      const previous = table[(k - 1) * 256 + n] as number;
      table[k * 256 + n] = (previous >>> 8) ^ (table[previous & 0xff] as number);
    }
  }
  return table;
})();

/** Whether this host stores a Uint32Array little-endian (so word reads see the bytes in file order). */
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * CRC-32 (IEEE, as zip uses), sliced by 16 over 4-byte-aligned words: about 1.2 GB/s in V8, against
 * 0.4 GB/s a byte at a time, so checking every member of a 300 MB checkpoint costs about 0.25 s.
 */
export function crc32(data: Uint8Array): number {
  const t = CRC_TABLES;
  let c = -1;
  let i = 0;
  const n = data.length;
  if (LITTLE_ENDIAN_HOST && n >= 64) {
    while ((data.byteOffset + i) % 4 !== 0) c = (t[(c ^ (data[i++] as number)) & 0xff] as number) ^ (c >>> 8);
    const blocks = (n - i) >>> 4;
    const words = new Uint32Array(data.buffer, data.byteOffset + i, blocks * 4);
    for (let w = 0; w < words.length; w += 4) {
      const a = c ^ (words[w] as number);
      const b = words[w + 1] as number;
      const d = words[w + 2] as number;
      const e = words[w + 3] as number;
      c =
        (t[3840 + (a & 0xff)] as number) ^
        (t[3584 + ((a >>> 8) & 0xff)] as number) ^
        (t[3328 + ((a >>> 16) & 0xff)] as number) ^
        (t[3072 + (a >>> 24)] as number) ^
        (t[2816 + (b & 0xff)] as number) ^
        (t[2560 + ((b >>> 8) & 0xff)] as number) ^
        (t[2304 + ((b >>> 16) & 0xff)] as number) ^
        (t[2048 + (b >>> 24)] as number) ^
        (t[1792 + (d & 0xff)] as number) ^
        (t[1536 + ((d >>> 8) & 0xff)] as number) ^
        (t[1280 + ((d >>> 16) & 0xff)] as number) ^
        (t[1024 + (d >>> 24)] as number) ^
        (t[768 + (e & 0xff)] as number) ^
        (t[512 + ((e >>> 8) & 0xff)] as number) ^
        (t[256 + ((e >>> 16) & 0xff)] as number) ^
        (t[e >>> 24] as number);
    }
    i += blocks * 16;
  }
  for (; i < n; i++) c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
