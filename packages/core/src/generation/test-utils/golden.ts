import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** /work/shared/golden, found from this file: generation → src → core → packages → repo root → ../shared. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../../../../shared/golden/', import.meta.url));

/** A tensor from a golden io.safetensors file. */
export interface GoldenTensor {
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Minimal safetensors reader (F32 and I64 only) so these tests do not depend on the checkpoint module. */
export function readGolden(caseName: string, file = 'io.safetensors'): Map<string, GoldenTensor> {
  const path = `${GOLDEN_DIR}${caseName}/${file}`;
  if (!existsSync(path)) throw new Error(`golden file missing: ${path} (the test needs /work/shared/golden)`);
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const tensors = new Map<string, GoldenTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    const copy = new Uint8Array(bytes.subarray(8 + headerLength + begin, 8 + headerLength + end)).buffer;
    if (entry.dtype === 'F32') tensors.set(name, { shape: entry.shape, data: new Float32Array(copy) });
    else if (entry.dtype === 'I64') tensors.set(name, { shape: entry.shape, data: new BigInt64Array(copy) });
    else throw new Error(`${path}: unsupported dtype ${entry.dtype} for ${name}`);
  }
  return tensors;
}

/** The named F32 tensor, failing loudly when it is absent. */
export function goldenF32(tensors: Map<string, GoldenTensor>, name: string): Float32Array {
  const t = tensors.get(name);
  if (t === undefined || !(t.data instanceof Float32Array))
    throw new Error(`golden F32 tensor ${name} missing`);
  return t.data;
}

/** The named I64 tensor as rows of numbers. */
export function goldenRows(tensors: Map<string, GoldenTensor>, name: string): number[][] {
  const t = tensors.get(name);
  if (t === undefined || !(t.data instanceof BigInt64Array))
    throw new Error(`golden I64 tensor ${name} missing`);
  const width = t.shape[t.shape.length - 1] as number;
  const values = Array.from(t.data, Number);
  return Array.from({ length: values.length / width }, (_, r) => values.slice(r * width, (r + 1) * width));
}

/** Suggested atol of a tensor from the case's meta.json. */
export function suggestedAtol(caseName: string, name: string): number {
  const meta = JSON.parse(readFileSync(`${GOLDEN_DIR}${caseName}/meta.json`, 'utf8')) as {
    io: Record<string, { suggested_atol?: number }>;
  };
  const atol = meta.io[name]?.suggested_atol;
  if (atol === undefined) throw new Error(`meta.json of ${caseName} has no suggested_atol for ${name}`);
  return atol;
}
