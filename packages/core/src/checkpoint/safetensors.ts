import { strFromU8, strToU8 } from 'fflate';
import { Checkpoint, formatShape } from './checkpoint.js';
import { DTYPE_SIZES, isWeightDType, type WeightDType } from './dtype.js';
import { CheckpointError } from './errors.js';

/** Options shared by the checkpoint readers. */
export interface ReadCheckpointOptions {
  /** Name of the file for messages and {@link Checkpoint.source}. */
  readonly source?: string;
}

/** The reference implementation refuses headers above 100 MB; so do we, before decoding anything. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads a safetensors file held in memory. Every header field is checked against the file before
 * use: the header length, the JSON (no tensor name twice), each dtype, shape and `data_offsets`
 * (in range, ordered, sized `numel × dtype size`), and the tensors' byte ranges, sorted by offset,
 * must tile the data area exactly (no overlap, no gap, nothing after the last), as the reference
 * implementation requires. Tensor bytes are views into `bytes`.
 *
 * For files too large to hold in one buffer, use {@link readSafetensorsByRange}.
 *
 * @example
 * const ckpt = readSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()), { source: url });
 */
export function readSafetensors(bytes: Uint8Array, options: ReadCheckpointOptions = {}): Checkpoint {
  const file = options.source ?? 'safetensors data';
  const fail = failIn(file);
  checkFileLength(bytes.length, fail);
  const headerLength = decodeHeaderLength(bytes.subarray(0, 8), bytes.length, fail);
  const { dataStart, metadata, entries } = parseHeader(
    bytes.subarray(8, 8 + headerLength),
    bytes.length,
    fail,
  );
  const tensors = entries.map(({ name, dtype, shape, begin, end }) => ({
    name,
    dtype,
    shape,
    bytes: bytes.subarray(dataStart + begin, dataStart + end),
  }));
  return new Checkpoint(tensors, { source: file, metadata });
}

/**
 * Random access to the bytes of one file, for {@link readSafetensorsByRange}: a file handle, HTTP
 * range requests, a slice of memory.
 */
export interface ByteRangeReader {
  /** The file's length in bytes. */
  readonly size: number;
  /**
   * Exactly `length` bytes starting at `offset` (the range always lies within {@link size}). The
   * returned array is kept as the tensor's bytes, so it must not be reused for another read.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Options of {@link readSafetensorsByRange}. */
export interface ReadSafetensorsByRangeOptions extends ReadCheckpointOptions {
  /**
   * Called after the header and after each tensor is read: bytes read so far and the file size.
   * The last call has `loaded === total`.
   */
  readonly onProgress?: (loaded: number, total: number) => void;
}

/**
 * Reads a safetensors file through a {@link ByteRangeReader}, so no buffer ever holds the whole
 * file: the 8-byte header length, then the header, then each tensor's bytes (in file order), one
 * read per tensor. The header is checked exactly as {@link readSafetensors} checks it (same
 * errors), and every tensor's offsets are validated against the file size before any tensor byte
 * is read. Each tensor's `bytes` is the array its read returned. The result equals what
 * `readSafetensors` gives on the same file.
 *
 * @example
 * const handle = await fs.promises.open('model.safetensors');
 * const { size } = await handle.stat();
 * const ckpt = await readSafetensorsByRange(
 *   { size, read: async (offset, length) => { const b = new Uint8Array(length); await handle.read(b, 0, length, offset); return b; } },
 *   { source: 'model.safetensors' },
 * );
 */
export async function readSafetensorsByRange(
  reader: ByteRangeReader,
  options: ReadSafetensorsByRangeOptions = {},
): Promise<Checkpoint> {
  const file = options.source ?? 'safetensors data';
  const fail = failIn(file);
  const { size } = reader;
  if (!isCount(size)) throw fail(`size ${String(size)} is not a byte count`);
  checkFileLength(size, fail);
  const headerLength = decodeHeaderLength(await readExactly(reader, 0, 8, fail), size, fail);
  const { dataStart, metadata, entries } = parseHeader(
    await readExactly(reader, 8, headerLength, fail),
    size,
    fail,
  );

  let loaded = dataStart;
  options.onProgress?.(loaded, size);
  // Read in file order (sequential on disk), kept in header order like readSafetensors.
  const bytesOf = new Map<SafetensorsEntry, Uint8Array>();
  for (const entry of [...entries].sort(byOffset)) {
    const length = entry.end - entry.begin;
    bytesOf.set(entry, await readExactly(reader, dataStart + entry.begin, length, fail, entry.name));
    loaded += length;
    options.onProgress?.(loaded, size);
  }
  const tensors = entries.map((entry) => ({
    name: entry.name,
    dtype: entry.dtype,
    shape: entry.shape,
    bytes: bytesOf.get(entry) as Uint8Array,
  }));
  return new Checkpoint(tensors, { source: file, metadata });
}

type Fail = (message: string, tensor?: string) => CheckpointError;

function failIn(file: string): Fail {
  return (message, tensor) =>
    new CheckpointError(message, tensor === undefined ? { file } : { file, tensor });
}

/** One validated header entry; `begin`/`end` are offsets into the data area. */
interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: WeightDType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

const byOffset = (a: SafetensorsEntry, b: SafetensorsEntry) => a.begin - b.begin || a.end - b.end;

function checkFileLength(size: number, fail: Fail): void {
  if (size < 8) {
    throw fail(`is ${size} bytes long, too short for safetensors (an 8-byte header length comes first)`);
  }
}

/** The header length from the file's first 8 bytes, checked against the `size` of the whole file. */
function decodeHeaderLength(prefix: Uint8Array, size: number, fail: Fail): number {
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  // Compared as bigint so that a hostile 2^60 never becomes a size or an allocation.
  const declared = view.getBigUint64(0, true);
  const room = size - 8;
  if (declared > BigInt(room)) {
    throw fail(
      `header length ${declared} exceeds the ${room} bytes after it: not a safetensors file, or truncated`,
    );
  }
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw fail(
      `header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit for a safetensors header`,
    );
  }
  return Number(declared);
}

/**
 * Decodes and validates the JSON header (`json`, the bytes after the length prefix) of a file of
 * `size` bytes: entries in header order, each checked against the data area, which they must tile.
 */
function parseHeader(
  json: Uint8Array,
  size: number,
  fail: Fail,
): { dataStart: number; metadata: Record<string, string>; entries: SafetensorsEntry[] } {
  const headerLength = json.length;
  const dataStart = 8 + headerLength;
  const dataLength = size - dataStart;

  const text = strFromU8(json);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw fail(`header (${headerLength} bytes) is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(header)) throw fail('header must be a JSON object of tensor entries');
  const repeated = repeatedTopLevelKey(text);
  if (repeated === '__metadata__') throw fail('the header has "__metadata__" more than once');
  if (repeated !== undefined) {
    throw fail('the header names this tensor more than once (JSON would keep only the last)', repeated);
  }

  const metadata = readMetadata(header.__metadata__, fail);
  const entries: SafetensorsEntry[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    entries.push({ name, ...readEntry(entry, dataLength, (message) => fail(message, name)) });
  }
  checkTiling(entries, dataLength, fail);
  return { dataStart, metadata, entries };
}

/**
 * The reference implementation requires the tensors' byte ranges, sorted by offset, to cover the
 * data area exactly from 0 to its end: no overlap, no unreferenced gap, no trailing bytes.
 */
function checkTiling(entries: readonly SafetensorsEntry[], dataLength: number, fail: Fail): void {
  let cursor = 0;
  let previous: SafetensorsEntry | undefined;
  const at = (e: SafetensorsEntry) => `"${e.name}" [${e.begin}, ${e.end}]`;
  for (const entry of [...entries].sort(byOffset)) {
    if (entry.begin < cursor && previous !== undefined) {
      throw fail(`data_offsets [${entry.begin}, ${entry.end}] overlap ${at(previous)}`, entry.name);
    }
    if (entry.begin > cursor) {
      throw fail(
        `data_offsets [${entry.begin}, ${entry.end}] leave data bytes [${cursor}, ${entry.begin}] unreferenced (${previous === undefined ? 'no tensor starts at 0' : `after ${at(previous)}`}); tensors must tile the data area without gaps`,
        entry.name,
      );
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== dataLength) {
    const message = `data bytes [${cursor}, ${dataLength}] are unreferenced: tensors must tile the data area up to the end of the file`;
    throw previous === undefined
      ? fail(`holds no tensors, but ${message}`)
      : fail(`ends at data offset ${cursor} as the last tensor, but ${message}`, previous.name);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The first key that appears twice in the top-level object of valid JSON `text` (JSON.parse keeps
 * only the last, and a reviver only sees the survivor, so the text itself is scanned). Keys are
 * decoded, so `"a"` and `"\u0061"` are the same; `__proto__` is an ordinary key here.
 */
function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text.charCodeAt(j) !== QUOTE) {
        if (text.charCodeAt(j) === BACKSLASH) {
          escaped = true;
          j++;
        }
        j++;
      }
      if (depth === 1 && keyNext) {
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (seen.has(key)) return key;
        seen.add(key);
        keyNext = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      if (depth === 1) keyNext = c === '{';
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      keyNext = true;
    }
  }
  return undefined;
}

/** Reads exactly `length` bytes, refusing a reader that returns anything else. */
async function readExactly(
  reader: ByteRangeReader,
  offset: number,
  length: number,
  fail: Fail,
  tensor?: string,
): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const bytes = await reader.read(offset, length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : String(bytes);
    throw fail(
      `reading ${length} bytes at offset ${offset} returned ${got} (file changed while reading?)`,
      tensor,
    );
  }
  return bytes;
}

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw fail(`__metadata__ must be an object of strings, got ${JSON.stringify(value)}`);
  const metadata: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw fail(`__metadata__["${key}"] must be a string, got ${JSON.stringify(item)}`);
    // Defined, not assigned, so that a "__proto__" key stays an ordinary entry.
    Object.defineProperty(metadata, key, {
      value: item,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return metadata;
}

function readEntry(
  entry: unknown,
  dataLength: number,
  fail: (message: string) => CheckpointError,
): { dtype: WeightDType; shape: number[]; begin: number; end: number } {
  if (!isRecord(entry)) throw fail('entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isWeightDType(dtype)) {
    throw fail(`dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`shape ${JSON.stringify(shape)} must be an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`data_offsets ${JSON.stringify(offsets)} must be [begin, end], non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw fail(`data_offsets [${begin}, ${end}] begin after they end`);
  if (end > dataLength) {
    throw fail(
      `data_offsets [${begin}, ${end}] run past the ${dataLength} data bytes of the file (truncated?)`,
    );
  }
  // Computed in floating point: an absurd shape becomes a huge (or infinite) count, never wraps.
  const needed = (shape as number[]).reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
  if (needed !== end - begin) {
    throw fail(
      `${dtype} ${formatShape(shape as number[])} needs ${needed} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { dtype, shape: shape as number[], begin, end };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a safetensors header says about one tensor: its name, dtype and shape. */
export interface SafetensorsSpec {
  readonly name: string;
  readonly dtype: WeightDType;
  readonly shape: readonly number[];
}

/** A tensor to write with {@link writeSafetensors}: raw values in any typed array matching the dtype's size. */
export interface SafetensorsInput extends SafetensorsSpec {
  /** Little-endian, row-major values; its byte length must be `numel × dtype size`. */
  readonly data: ArrayBufferView;
}

/**
 * Where everything goes in a safetensors file, before any tensor data is at hand: for writers that
 * stream the data (a file larger than one buffer), and the one definition {@link writeSafetensors}
 * lays its files out by.
 */
export interface SafetensorsLayout {
  /** The file's first bytes: the header length (u64, little-endian), then the JSON padded with spaces to 8 bytes. */
  readonly header: Uint8Array;
  /** Tensor names in the order their bytes follow the header. */
  readonly order: readonly string[];
  /** Bytes of tensor data after the header. */
  readonly dataLength: number;
}

/**
 * Lays out a safetensors file: the JSON lists tensors in the given order (`__metadata__` first);
 * the data is laid out widest dtype first so that, after the header padded to 8 bytes, every tensor
 * is aligned to its element size and reads back without copies. Writing `header`, then each
 * tensor's bytes in `order`, gives exactly what {@link writeSafetensors} gives.
 *
 * @example
 * const { header, order } = safetensorsLayout([{ name: 'x', dtype: 'F32', shape: [1_000_000, 512] }]);
 */
export function safetensorsLayout(
  specs: readonly SafetensorsSpec[],
  metadata?: Record<string, string>,
): SafetensorsLayout {
  const names = new Set<string>();
  const sizes = specs.map(({ name, dtype, shape }) => {
    const fail = (message: string) =>
      new CheckpointError(message, { file: 'safetensors output', tensor: name });
    if (name === '__metadata__') throw fail('this name is reserved for the metadata');
    if (names.has(name)) throw fail('the tensor name appears twice');
    names.add(name);
    if (!isWeightDType(dtype))
      throw fail(`dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
    if (!shape.every(isCount)) throw fail(`shape ${JSON.stringify(shape)} must hold non-negative integers`);
    return shape.reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
  });

  const layout = specs
    .map((spec, index) => ({ spec, index }))
    .sort((a, b) => DTYPE_SIZES[b.spec.dtype] - DTYPE_SIZES[a.spec.dtype] || a.index - b.index);
  const offsets = new Map<string, [number, number]>();
  let cursor = 0;
  for (const { spec, index } of layout) {
    offsets.set(spec.name, [cursor, cursor + sizes[index]!]);
    cursor += sizes[index]!;
  }

  const json: Record<string, unknown> = {};
  if (metadata !== undefined) json.__metadata__ = { ...metadata };
  for (const { name, dtype, shape } of specs)
    json[name] = { dtype, shape: [...shape], data_offsets: offsets.get(name) };
  const text = strToU8(JSON.stringify(json));
  const headerLength = Math.ceil(text.length / 8) * 8;
  const header = new Uint8Array(8 + headerLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerLength), true);
  header.set(text, 8);
  header.fill(0x20, 8 + text.length); // JSON allows trailing spaces
  return { header, order: layout.map(({ spec }) => spec.name), dataLength: cursor };
}

/**
 * Serialises tensors to the safetensors format, laid out by {@link safetensorsLayout}.
 *
 * @example
 * const bytes = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }], { format: 'pt' });
 */
export function writeSafetensors(
  tensors: readonly SafetensorsInput[],
  metadata?: Record<string, string>,
): Uint8Array {
  const { header, order, dataLength } = safetensorsLayout(tensors, metadata);
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  for (const { name, dtype, shape, data } of tensors) {
    const needed = shape.reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
    if (data.byteLength !== needed) {
      throw new CheckpointError(
        `${dtype} ${formatShape(shape)} needs ${needed} bytes, the data has ${data.byteLength}`,
        { file: 'safetensors output', tensor: name },
      );
    }
  }
  const out = new Uint8Array(header.length + dataLength);
  out.set(header);
  let cursor = header.length;
  for (const name of order) {
    const { data } = byName.get(name)!;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), cursor);
    cursor += data.byteLength;
  }
  return out;
}
