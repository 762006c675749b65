import { type Checkpoint, type FileSource, readSafetensors } from '@imagegpt/core';
import { readJsonText } from '@imagegpt/core/io';

/** Raised when a folder is not a readable case (CONFORMANCE.md exit code 2). */
export class ConformanceCaseError extends Error {
  override name = 'ConformanceCaseError';
}

/** The fields of a case's meta.json that the runner reads (CONFORMANCE.md). */
export interface CaseMeta {
  head?: string;
  kind?: string;
  case?: string;
  io?: Record<string, { suggested_atol?: number }>;
  tolerance_summary?: { suggested_rtol?: number };
  /** The classifier's loss (CONFORMANCE.md: it wins over the config's problem_type and HF's rule). */
  problem_type?: string | null;
  /** Images are `{ file }` objects or bare file names (both occur in the golden set). */
  processors?: { dir: string; images: ({ file: string } | string)[] }[];
}

/** One tensor of io.safetensors: floats or int64 values and the shape. */
export interface IoTensor {
  shape: number[];
  float?: Float32Array;
  int?: BigInt64Array;
}

/**
 * The tolerance of one output, as CONFORMANCE.md fixes it: `atol` is the tensor's `suggested_atol`
 * in meta.json (undefined: compare exactly), `rtol` is `tolerance_summary.suggested_rtol` or 1e-4.
 * The one place tolerances are read, for the runner and for every test that compares with a golden.
 */
export function outputTolerance(meta: CaseMeta, name: string): { atol: number | undefined; rtol: number } {
  return {
    atol: meta.io?.[name]?.suggested_atol,
    rtol: meta.tolerance_summary?.suggested_rtol ?? 1e-4,
  };
}

/** A JSON file of the case; unreadable or invalid JSON makes the case unreadable. */
export async function readCaseJson<T>(files: FileSource, path: string): Promise<T> {
  let text: string;
  try {
    text = await readJsonText(files, path);
  } catch (e) {
    throw new ConformanceCaseError(`${files.location}/${path}: cannot read (${errText(e)})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ConformanceCaseError(`${files.location}/${path}: not valid JSON (${errText(e)})`);
  }
}

/** Every tensor of the case's io.safetensors, by name. */
export async function readCaseIo(files: FileSource): Promise<Map<string, IoTensor>> {
  let checkpoint: Checkpoint;
  try {
    checkpoint = readSafetensors(await files.read('io.safetensors'), {
      source: `${files.location}/io.safetensors`,
    });
  } catch (e) {
    throw new ConformanceCaseError(`${files.location}/io.safetensors: ${errText(e)}`);
  }
  const io = new Map<string, IoTensor>();
  for (const name of checkpoint.names()) {
    const t = checkpoint.get(name);
    const shape = [...t.shape];
    if (t.dtype === 'I64') io.set(name, { shape, int: checkpoint.int64(name) });
    else io.set(name, { shape, float: checkpoint.float32(name) });
  }
  return io;
}

/** An integer tensor `[B, ...]` as B rows of numbers; undefined for a float or absent tensor. */
export function ioRows(t: IoTensor | undefined): number[][] | undefined {
  if (!t?.int) return undefined;
  const [b = 1, ...rest] = t.shape;
  const width = rest.reduce((a, c) => a * c, 1);
  return Array.from({ length: b }, (_, i) => Array.from(t.int!.subarray(i * width, (i + 1) * width), Number));
}

/** The case's name: meta.json's `case`, else the folder's last path segment. */
export function caseName(files: FileSource, meta: CaseMeta): string {
  return meta.case ?? files.location.split('/').filter(Boolean).pop() ?? files.location;
}

/** An error's message, for notes and case errors. */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
