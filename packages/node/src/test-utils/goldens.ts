import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ImageGPTConfig } from '@imagegpt/config';
import { type Checkpoint, type HostTensor, readPytorchBin, readSafetensors } from '@imagegpt/core';

/** /work/shared/golden: the repo root's sibling `shared/golden`. CI has it, so absence is an error. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../../../shared/golden/', import.meta.url));

/** The weight files every model case ships. */
export const WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'] as const;
export type WeightFile = (typeof WEIGHT_FILES)[number];

function read(caseName: string, file: string): Uint8Array {
  const path = `${GOLDEN_DIR}${caseName}/${file}`;
  if (!existsSync(path))
    throw new Error(
      `golden file missing: ${path} (the golden data must be at ../shared/golden from the repo root)`,
    );
  return new Uint8Array(readFileSync(path));
}

/** One golden model case: its config, weights, reference tensors and tolerances. */
export interface GoldenCase {
  readonly name: string;
  readonly config: ImageGPTConfig;
  readonly io: Checkpoint;
  readonly meta: {
    io: Record<string, { suggested_atol?: number }>;
    tolerance_summary?: { suggested_rtol?: number };
  };
  weights(file: WeightFile): Checkpoint;
  /** A float reference tensor. */
  f32(name: string): { dims: readonly number[]; data: Float32Array };
  /** An integer reference tensor as rows of numbers ([B][T]). */
  rows(name: string): number[][];
  atol(name: string): number;
  readonly rtol: number;
}

export function loadGoldenCase(name: string): GoldenCase {
  const text = (file: string) => new TextDecoder().decode(read(name, file));
  const config = ImageGPTConfig.parse(text('config.json'), `${name}/config.json`);
  const io = readSafetensors(read(name, 'io.safetensors'), { source: `${name}/io.safetensors` });
  const meta = JSON.parse(text('meta.json')) as GoldenCase['meta'];
  return {
    name,
    config,
    io,
    meta,
    weights: (file) =>
      file === 'model.safetensors'
        ? readSafetensors(read(name, file), { source: `${name}/${file}` })
        : readPytorchBin(read(name, file), { source: `${name}/${file}` }),
    f32: (tensor) => ({ dims: io.get(tensor).shape, data: io.float32(tensor) }),
    rows: (tensor) => {
      const [B, T] = io.get(tensor).shape as [number, number];
      const data = io.int64(tensor);
      return Array.from({ length: B }, (_, b) =>
        Array.from({ length: T }, (_, t) => Number(data[b * T + t])),
      );
    },
    atol: (tensor) => {
      const atol = meta.io[tensor]?.suggested_atol;
      if (atol === undefined) throw new Error(`${name}/meta.json has no suggested_atol for ${tensor}`);
      return atol;
    },
    rtol: meta.tolerance_summary?.suggested_rtol ?? 1e-4,
  };
}

/** Result of {@link compare}: the largest |got − ref| and whether numpy's allclose would pass. */
export interface Comparison {
  readonly maxAbsErr: number;
  readonly pass: boolean;
  /** A readable line for assertion messages and the error report. */
  readonly summary: string;
}

/**
 * numpy.allclose(got, ref, rtol, atol) element-wise, with shapes checked. `include(i)` limits the
 * comparison to some flat indices (padded queries).
 */
export function compare(
  label: string,
  got: HostTensor | { dims: readonly number[]; data: Float32Array },
  ref: { dims: readonly number[]; data: Float32Array },
  atol: number,
  rtol: number,
  include: (index: number) => boolean = () => true,
): Comparison {
  if (got.dims.join(',') !== ref.dims.join(',')) {
    return {
      maxAbsErr: Number.POSITIVE_INFINITY,
      pass: false,
      summary: `${label}: shape [${got.dims}] != reference [${ref.dims}]`,
    };
  }
  const g = got.data as Float32Array;
  let maxAbsErr = 0;
  let pass = true;
  for (let i = 0; i < ref.data.length; i++) {
    if (!include(i)) continue;
    const r = ref.data[i] as number;
    const err = Math.abs((g[i] as number) - r);
    if (!(err <= atol + rtol * Math.abs(r))) pass = false;
    if (!(err <= maxAbsErr)) maxAbsErr = err;
  }
  const summary = `${label}: max |err| ${maxAbsErr.toExponential(2)} (atol ${atol}, rtol ${rtol}) ${pass ? 'pass' : 'FAIL'}`;
  if (process.env.IGPT_REPORT_ERRORS) console.log(summary);
  return { maxAbsErr, pass, summary };
}

/** Takes positions [from, to) of every row of a [B,T,...] tensor. */
export function sliceSequence(
  t: HostTensor,
  from: number,
  to: number,
): { dims: number[]; data: Float32Array } {
  const [B, T, ...rest] = t.dims as number[];
  const inner = rest.reduce((a, b) => a * b, 1);
  const data = new Float32Array((B as number) * (to - from) * inner);
  const src = t.data as Float32Array;
  for (let b = 0; b < (B as number); b++) {
    data.set(
      src.subarray((b * (T as number) + from) * inner, (b * (T as number) + to) * inner),
      b * (to - from) * inner,
    );
  }
  return { dims: [B as number, to - from, ...rest], data };
}

/** Mean cross-entropy in float64 of `logits` rows [N, K] against `labels` [N]. */
export function crossEntropy(
  logits: Float32Array,
  K: number,
  rowsAndLabels: readonly (readonly [number, number])[],
): number {
  let total = 0;
  for (const [row, label] of rowsAndLabels) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) max = Math.max(max, logits[row * K + k] as number);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp((logits[row * K + k] as number) - max);
    total += Math.log(sum) + max - (logits[row * K + label] as number);
  }
  return total / rowsAndLabels.length;
}
