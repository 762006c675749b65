import { strFromU8, strToU8 } from 'fflate';
import { Checkpoint, formatShape, type WeightTensor } from './checkpoint.js';
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
 * use: the header length, JSON, each dtype, shape and `data_offsets` (in range, ordered, sized
 * `numel × dtype size`, not overlapping another tensor). Tensor bytes are views into `bytes`.
 *
 * @example
 * const ckpt = readSafetensors(new Uint8Array(await (await fetch(url)).arrayBuffer()), { source: url });
 */
export function readSafetensors(bytes: Uint8Array, options: ReadCheckpointOptions = {}): Checkpoint {
  const file = options.source ?? 'safetensors data';
  const fail = (message: string, tensor?: string) =>
    new CheckpointError(message, tensor === undefined ? { file } : { file, tensor });

  if (bytes.length < 8) {
    throw fail(
      `is ${bytes.length} bytes long, too short for safetensors (an 8-byte header length comes first)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Compared as bigint so that a hostile 2^60 never becomes a size or an allocation.
  const declared = view.getBigUint64(0, true);
  const room = bytes.length - 8;
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
  const headerLength = Number(declared);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  let header: unknown;
  try {
    header = JSON.parse(strFromU8(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw fail(`header (${headerLength} bytes) is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(header)) throw fail('header must be a JSON object of tensor entries');

  const metadata = readMetadata(header.__metadata__, fail);
  const tensors: WeightTensor[] = [];
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, begin, end } = readEntry(entry, dataLength, (message) => fail(message, name));
    ranges.push({ name, begin, end });
    tensors.push({ name, dtype, shape, bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }

  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1];
    const current = ranges[i];
    if (previous !== undefined && current !== undefined && current.begin < previous.end) {
      throw fail(
        `data_offsets [${current.begin}, ${current.end}] overlap "${previous.name}" [${previous.begin}, ${previous.end}]`,
        current.name,
      );
    }
  }
  return new Checkpoint(tensors, { source: file, metadata });
}

type Fail = (message: string) => CheckpointError;

function readMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw fail(`__metadata__ must be an object of strings, got ${JSON.stringify(value)}`);
  const metadata: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw fail(`__metadata__["${key}"] must be a string, got ${JSON.stringify(item)}`);
    metadata[key] = item;
  }
  return metadata;
}

function readEntry(
  entry: unknown,
  dataLength: number,
  fail: Fail,
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

/** A tensor to write with {@link writeSafetensors}: raw values in any typed array matching the dtype's size. */
export interface SafetensorsInput {
  readonly name: string;
  readonly dtype: WeightDType;
  readonly shape: readonly number[];
  /** Little-endian, row-major values; its byte length must be `numel × dtype size`. */
  readonly data: ArrayBufferView;
}

/**
 * Serialises tensors to the safetensors format. The JSON lists tensors in the given order
 * (`__metadata__` first); the data is laid out widest dtype first so that, after the header padded
 * to 8 bytes, every tensor is aligned to its element size and reads back without copies.
 *
 * @example
 * const bytes = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) }], { format: 'pt' });
 */
export function writeSafetensors(
  tensors: readonly SafetensorsInput[],
  metadata?: Record<string, string>,
): Uint8Array {
  const names = new Set<string>();
  for (const { name, dtype, shape, data } of tensors) {
    const fail = (message: string) =>
      new CheckpointError(message, { file: 'safetensors output', tensor: name });
    if (name === '__metadata__') throw fail('this name is reserved for the metadata');
    if (names.has(name)) throw fail('the tensor name appears twice');
    names.add(name);
    if (!isWeightDType(dtype))
      throw fail(`dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_SIZES).join(', ')}`);
    if (!shape.every(isCount)) throw fail(`shape ${JSON.stringify(shape)} must hold non-negative integers`);
    const needed = shape.reduce((n, d) => n * d, DTYPE_SIZES[dtype]);
    if (data.byteLength !== needed) {
      throw fail(`${dtype} ${formatShape(shape)} needs ${needed} bytes, the data has ${data.byteLength}`);
    }
  }

  const layout = tensors
    .map((tensor, index) => ({ tensor, index }))
    .sort((a, b) => DTYPE_SIZES[b.tensor.dtype] - DTYPE_SIZES[a.tensor.dtype] || a.index - b.index);
  const offsets = new Map<string, [number, number]>();
  let cursor = 0;
  for (const { tensor } of layout) {
    offsets.set(tensor.name, [cursor, cursor + tensor.data.byteLength]);
    cursor += tensor.data.byteLength;
  }

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = { ...metadata };
  for (const { name, dtype, shape } of tensors)
    header[name] = { dtype, shape: [...shape], data_offsets: offsets.get(name) };
  const json = strToU8(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLength + cursor);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // JSON allows trailing spaces
  for (const { tensor } of layout) {
    const [begin] = offsets.get(tensor.name) as [number, number];
    out.set(
      new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
      8 + headerLength + begin,
    );
  }
  return out;
}
