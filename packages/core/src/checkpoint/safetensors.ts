import { JsonReader, previewValue } from '@imagegpt/config/json';
import { strToU8 } from 'fflate';
import { DEFAULT_FILE_LIMITS, type FileLimits, fileLimits } from '../io/file-policy.js';
import type { LocalFile } from '../io/file-source.js';
import { Checkpoint, DeferredWeight, formatShape } from './checkpoint.js';
import { DTYPE_SIZES, isWeightDType, type WeightDType } from './dtype.js';
import { CheckpointError } from './errors.js';

/** Options shared by the checkpoint readers. */
export interface ReadCheckpointOptions {
  /** Name of the file for messages and {@link Checkpoint.source}. */
  readonly source?: string;
  /**
   * Limits on what the file may declare (header size, entries, `data.pkl` size); the defaults are
   * {@link DEFAULT_FILE_LIMITS}.
   */
  readonly limits?: Partial<FileLimits>;
}

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
  const limits = fileLimits(options.limits);
  checkFileLength(bytes.length, fail);
  const headerLength = decodeHeaderLength(bytes.subarray(0, 8), bytes.length, fail, limits);
  const { dataStart, metadata, entries } = parseHeader(
    bytes.subarray(8, 8 + headerLength),
    bytes.length,
    fail,
    limits,
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
  /**
   * The same file on the local disk: its tensors are then left there ({@link DeferredWeight}s,
   * read when first used, and loadable by a backend straight from the file) instead of being read
   * now. Only the header is read.
   */
  readonly local?: LocalFile;
}

/**
 * Reads a safetensors file through a {@link ByteRangeReader}, so no buffer ever holds the whole
 * file: the 8-byte header length, then the header, then each tensor's bytes (in file order), one
 * read per tensor. The header is checked exactly as {@link readSafetensors} checks it (same
 * errors), and every tensor's offsets are validated against the file size before any tensor byte
 * is read. Each tensor's `bytes` is the array its read returned (with `local`, nothing is read
 * until a tensor's bytes are asked for). The result equals what `readSafetensors` gives on the
 * same file.
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
  const { dataStart, metadata, entries } = await readHeaderByRange(reader, fail, fileLimits(options.limits));

  const { local } = options;
  if (local !== undefined) {
    if (local.size !== size)
      throw fail(`is ${local.size} bytes on disk but ${size} bytes through its reader`);
    options.onProgress?.(size, size);
    const tensors = entries.map(
      (e) => new DeferredWeight(e.name, e.dtype, e.shape, e.end - e.begin, local, dataStart + e.begin),
    );
    return new Checkpoint(tensors, { source: file, metadata });
  }

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

/** What a safetensors header declares, checked against the file: see {@link readSafetensorsHeader}. */
export interface SafetensorsHeader {
  /** Every tensor in header order: name, dtype and shape (its bytes unread). */
  readonly tensors: readonly {
    readonly name: string;
    readonly dtype: WeightDType;
    readonly shape: readonly number[];
  }[];
  /** The `__metadata__` strings. */
  readonly metadata: Record<string, string>;
}

/**
 * Reads only the header of a safetensors file through a {@link ByteRangeReader}: the 8-byte length
 * and the JSON, with every check {@link readSafetensorsByRange} makes (dtypes, shapes, offsets that
 * tile the data area of a file of `reader.size` bytes, the limits), and no tensor byte read. What
 * `igpt info` shows of a weights file.
 *
 * @example
 * const { tensors } = await readSafetensorsHeader(reader, { source: 'model.safetensors' });
 */
export async function readSafetensorsHeader(
  reader: ByteRangeReader,
  options: ReadCheckpointOptions = {},
): Promise<SafetensorsHeader> {
  const { metadata, entries } = await readHeaderByRange(
    reader,
    failIn(options.source ?? 'safetensors data'),
    fileLimits(options.limits),
  );
  return { tensors: entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata };
}

async function readHeaderByRange(
  reader: ByteRangeReader,
  fail: Fail,
  limits: FileLimits,
): Promise<{ dataStart: number; metadata: Record<string, string>; entries: SafetensorsEntry[] }> {
  const { size } = reader;
  if (!isCount(size)) throw fail(`size ${String(size)} is not a byte count`);
  checkFileLength(size, fail);
  const headerLength = decodeHeaderLength(await readExactly(reader, 0, 8, fail), size, fail, limits);
  return parseHeader(await readExactly(reader, 8, headerLength, fail), size, fail, limits);
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
function decodeHeaderLength(prefix: Uint8Array, size: number, fail: Fail, limits: FileLimits): number {
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  // Compared as bigint so that a hostile 2^60 never becomes a size or an allocation.
  const declared = view.getBigUint64(0, true);
  const room = size - 8;
  if (declared > BigInt(room)) {
    throw fail(
      `header length ${declared} exceeds the ${room} bytes after it: not a safetensors file, or truncated`,
    );
  }
  const limit = limits.maxSafetensorsHeaderBytes;
  if (declared > BigInt(limit)) {
    throw fail(
      `header length ${declared} exceeds the ${limit}-byte limit for a safetensors header (FileLimits.maxSafetensorsHeaderBytes)`,
    );
  }
  return Number(declared);
}

/**
 * Decodes and validates the JSON header (`json`, the bytes after the length prefix) of a file of
 * `size` bytes: entries in header order, each checked against the data area, which they must tile.
 * The header is read in one pass ({@link JsonReader}): fields an entry does not need are checked
 * but never built, nesting is limited, and so are the number of entries and a shape's rank, so a
 * 100 MB header costs a scan whatever it holds.
 */
function parseHeader(
  json: Uint8Array,
  size: number,
  fail: Fail,
  limits: FileLimits,
): { dataStart: number; metadata: Record<string, string>; entries: SafetensorsEntry[] } {
  const headerLength = json.length;
  const dataStart = 8 + headerLength;
  const dataLength = size - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw fail(`header (${headerLength} bytes) is not UTF-8 text`);
  }
  const reader = new JsonReader(text, {
    fail: (message, offset) =>
      fail(`header (${headerLength} bytes) is not JSON: ${message} at character ${offset}`),
  });
  if (reader.peek() !== 'object') throw fail('header must be a JSON object of tensor entries');
  const seen = new Set<string>();
  let metadata: Record<string, string> = {};
  // Fields are gathered first and checked once the whole header has been read, so that a header
  // fault (bad JSON, a repeated name) is reported before a fault in one entry.
  const raw: { name: string; fields: RawEntry }[] = [];
  const maxEntries = limits.maxSafetensorsEntries;
  const ignored = { values: 0 };
  reader.readObject((name) => {
    // Checked as met: JSON would keep only the last of two, so the reference refuses them.
    if (seen.has(name)) {
      throw name === '__metadata__'
        ? fail('the header has "__metadata__" more than once')
        : fail('the header names this tensor more than once (JSON would keep only the last)', name);
    }
    seen.add(name);
    if (name === '__metadata__') {
      metadata = readMetadata(reader, fail, maxEntries);
      return;
    }
    if (raw.length + Object.keys(metadata).length >= maxEntries) {
      throw fail(
        `the header lists more than ${maxEntries} entries (FileLimits.maxSafetensorsEntries; a real model has a few thousand)`,
      );
    }
    raw.push({ name, fields: readEntryFields(reader, ignored, (message) => fail(message, name)) });
  });
  reader.end();
  const entries = raw.map(({ name, fields }) => ({
    name,
    ...checkEntry(fields, dataLength, (message) => fail(message, name)),
  }));
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

/** The most dimensions a shape may have (numpy's limit); each is a number kept per tensor. */
const MAX_RANK = 64;
/** A value this small (in JSON values: a shape of the highest rank) is parsed; a larger one is only counted. */
const MAX_SHOWN_VALUES = MAX_RANK + 1;

/** The next value, parsed when small (for checks and messages) or described by its size. */
function smallValue(reader: JsonReader): unknown {
  const { text, values } = reader.valueText();
  return values <= MAX_SHOWN_VALUES ? JSON.parse(text) : new TooLarge(values);
}

/** A value too large to parse for a message: shown as its size. */
class TooLarge {
  constructor(readonly values: number) {}
  toString(): string {
    return `(${this.values} JSON values)`;
  }
}

/** At most ~100 characters of a value from the file, for a message. */
function show(value: unknown): string {
  return value instanceof TooLarge ? String(value) : previewValue(value, 100);
}

function readMetadata(reader: JsonReader, fail: Fail, maxEntries: number): Record<string, string> {
  if (reader.peek() !== 'object') {
    throw fail(`__metadata__ must be an object of strings, got ${show(smallValue(reader))}`);
  }
  const metadata: Record<string, string> = {};
  let count = 0;
  reader.readObject((key) => {
    if (++count > maxEntries) {
      throw fail(`__metadata__ holds more than ${maxEntries} entries (FileLimits.maxSafetensorsEntries)`);
    }
    if (reader.peek() !== 'string') {
      throw fail(`__metadata__[${show(key)}] must be a string, got ${show(smallValue(reader))}`);
    }
    // Defined, not assigned, so that a "__proto__" key stays an ordinary entry.
    Object.defineProperty(metadata, key, {
      value: reader.readString(),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return metadata;
}

/** An entry's fields as read, before they are checked (small values, or the size of large ones). */
type RawEntry = { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | 'not an object';

/** Reads the fields of one entry that a tensor needs; any other field is skipped unbuilt. */
/**
 * The most JSON values the fields of an entry that this reader does not use may hold, all entries
 * together. The reference ignores such fields and writers add none; a handful are tolerated, but
 * megabytes of them (millions of empty arrays hidden in a 100 MB header) are refused.
 */
const MAX_IGNORED_VALUES = 65_536;

/** Reads the fields of one entry that a tensor needs; any other field is skipped unbuilt, and counted. */
function readEntryFields(
  reader: JsonReader,
  ignored: { values: number },
  fail: (message: string) => CheckpointError,
): RawEntry {
  if (reader.peek() !== 'object') {
    reader.skipValue();
    return 'not an object';
  }
  const fields: { dtype?: unknown; shape?: unknown; data_offsets?: unknown } = {};
  reader.readObject((field) => {
    // A later repeat wins, as in JSON.parse.
    if (field === 'dtype' || field === 'shape' || field === 'data_offsets') {
      fields[field] = smallValue(reader);
      return;
    }
    ignored.values += reader.valueText().values;
    if (ignored.values > MAX_IGNORED_VALUES) {
      throw fail(
        `field ${previewValue(field, 100)} and the other unknown fields hold more than ${MAX_IGNORED_VALUES} JSON values; a safetensors writer adds no such fields`,
      );
    }
  });
  return fields;
}

function checkEntry(
  fields: RawEntry,
  dataLength: number,
  fail: (message: string) => CheckpointError,
): { dtype: WeightDType; shape: number[]; begin: number; end: number } {
  if (fields === 'not an object') throw fail('entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = fields;
  if (!isWeightDType(dtype)) {
    throw fail(`dtype ${show(dtype)} is not one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
  }
  if (Array.isArray(shape) && shape.length > MAX_RANK) {
    throw fail(`shape has ${shape.length} dimensions; at most ${MAX_RANK} are read`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(
      shape instanceof TooLarge
        ? `shape ${show(shape)} has more than ${MAX_RANK} dimensions, at most ${MAX_RANK} are read`
        : `shape ${show(shape)} must be an array of non-negative integers`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`data_offsets ${show(offsets)} must be [begin, end], non-negative integers`);
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
