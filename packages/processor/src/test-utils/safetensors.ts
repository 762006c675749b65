import { readFileSync } from 'node:fs';

/** One tensor read from a safetensors file: its dtype, shape and values. */
export interface SafeTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/**
 * Reads a safetensors file (8-byte LE header length, JSON header, raw LE data). Only the dtypes
 * the golden processor case uses (F32, I64) are supported; anything else throws.
 */
export function readSafetensors(file: string): Map<string, SafeTensor> {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    // Copy into a fresh buffer: the file's offsets need not respect the typed array's alignment.
    const raw = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)).buffer;
    let data: Float32Array | BigInt64Array;
    if (entry.dtype === 'F32') data = new Float32Array(raw);
    else if (entry.dtype === 'I64') data = new BigInt64Array(raw);
    else throw new Error(`${file}: tensor ${name} has dtype ${entry.dtype}, expected F32 or I64`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (data.length !== count)
      throw new Error(`${file}: tensor ${name} has ${data.length} values, shape says ${count}`);
    tensors.set(name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return tensors;
}
