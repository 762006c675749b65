// A golden case read with the library's own readers (core's safetensors and .bin readers, the
// config schema) and compared with the conformance suite's own allclose and tolerance rule, so a
// test that checks something the suite does not still agrees with it on what "matches" means.
import { readFileSync } from 'node:fs';
import { ImageGPTConfig } from '@imagegpt/config';
import { type Checkpoint, readPytorchBin, readSafetensors, type WeightFormat } from '@imagegpt/core';
import type { ConformanceOutput } from '@imagegpt/heads';
import { type CaseMeta, compareFloats, outputTolerance } from '@imagegpt/heads/conformance';
import { expect } from 'vitest';
import { goldenCaseDir, sharedPath } from './golden-cases.mjs';

/** Values to compare with a golden tensor: a flat array, or a tensor whose dims are checked too. */
export type Computed = ArrayLike<number> | { readonly dims: readonly number[]; readonly data: unknown };

/** Options of {@link GoldenCase.compare}. */
export interface CompareOptions {
  /** Names the comparison in messages; default the tensor's name. */
  label?: string;
  /** Picks the compared flat indices (padded queries, positions a decoder has produced). */
  include?: (index: number) => boolean;
  /** A value derived from the tensor (a mean, a slice) to compare with instead, at its tolerance. */
  reference?: ArrayLike<number>;
}

/**
 * One case of the golden set (`goldenCase('tiny-causal')`): its files, meta.json, config,
 * io.safetensors and weights, each read on first use.
 */
export class GoldenCase {
  /** The case folder. */
  readonly dir: string;
  #meta: CaseMeta | undefined;
  #config: ImageGPTConfig | undefined;
  #io: Checkpoint | undefined;

  constructor(readonly name: string) {
    this.dir = goldenCaseDir(name);
  }

  /** Path of a file of the case; a missing file is an error, never a skip. */
  path(file: string): string {
    return sharedPath('golden', this.name, file);
  }

  /** The bytes of a file of the case. */
  bytes(file: string): Uint8Array {
    return new Uint8Array(readFileSync(this.path(file)));
  }

  /** meta.json, typed as far as the conformance suite reads it. */
  get meta(): CaseMeta {
    this.#meta ??= JSON.parse(readFileSync(this.path('meta.json'), 'utf8')) as CaseMeta;
    return this.#meta;
  }

  /** config.json of a model case. */
  get config(): ImageGPTConfig {
    this.#config ??= ImageGPTConfig.parse(
      readFileSync(this.path('config.json'), 'utf8'),
      `${this.name}/config.json`,
    );
    return this.#config;
  }

  /** io.safetensors: the reference inputs and outputs. */
  get io(): Checkpoint {
    this.#io ??= readSafetensors(this.bytes('io.safetensors'), { source: `${this.name}/io.safetensors` });
    return this.#io;
  }

  /** The weights, from `model.safetensors` (default) or `pytorch_model.bin`. */
  weights(format: WeightFormat = 'safetensors'): Checkpoint {
    return readCheckpointFile(this.path(format === 'bin' ? 'pytorch_model.bin' : 'model.safetensors'));
  }

  /** The shape of a reference tensor. */
  shape(tensor: string): number[] {
    return [...this.io.get(tensor).shape];
  }

  /** A float reference tensor. */
  f32(tensor: string): Float32Array {
    return this.io.float32(tensor);
  }

  /** An integer reference tensor `[B, ...]` as B rows of numbers. */
  rows(tensor: string): number[][] {
    const [b = 1, ...rest] = this.shape(tensor);
    const width = rest.reduce((a, c) => a * c, 1);
    const values = Array.from(this.io.int64(tensor), Number);
    return Array.from({ length: b }, (_, r) => values.slice(r * width, (r + 1) * width));
  }

  /** The tolerance the conformance suite applies to a tensor; one without `suggested_atol` is an error. */
  tolerance(tensor: string): { atol: number; rtol: number } {
    const { atol, rtol } = outputTolerance(this.meta, tensor);
    if (atol === undefined) throw new Error(`${this.name}/meta.json has no io.${tensor}.suggested_atol`);
    return { atol, rtol };
  }

  /**
   * `got` against the reference tensor with the suite's allclose at the suite's tolerance. When
   * `got` has dims, they must equal the reference shape (unless a derived `reference` is given).
   */
  compare(tensor: string, got: Computed, options: CompareOptions = {}): ConformanceOutput {
    const label = `${this.name} ${options.label ?? tensor}`;
    const { atol, rtol } = this.tolerance(tensor);
    let values: ArrayLike<number>;
    if ('dims' in got && options.reference === undefined) {
      const want = this.shape(tensor);
      if (got.dims.join(',') !== want.join(',')) {
        return {
          name: label,
          maxAbsErr: null,
          mismatches: null,
          atol,
          rtol,
          pass: false,
          note: `shape [${got.dims}], reference [${want}]`,
        };
      }
      values = got.data as ArrayLike<number>;
    } else {
      values = 'dims' in got ? (got.data as ArrayLike<number>) : got;
    }
    const reference = options.reference ?? this.f32(tensor);
    return compareFloats(label, values, reference, atol, rtol, options.include);
  }

  /** Asserts {@link compare} passes, with the error figures in the failure message. */
  expectClose(tensor: string, got: Computed | undefined, options: CompareOptions = {}): void {
    expect(got, `${this.name} ${options.label ?? tensor} was not computed`).toBeDefined();
    expectPass(this.compare(tensor, got!, options));
  }
}

/** A `.safetensors` or `.bin` file read whole with core's reader for it. */
export function readCheckpointFile(path: string): Checkpoint {
  const read = path.endsWith('.bin') ? readPytorchBin : readSafetensors;
  return read(new Uint8Array(readFileSync(path)), { source: path });
}

/** The golden case of that name. */
export function goldenCase(name: string): GoldenCase {
  return new GoldenCase(name);
}

/** Asserts one compared output passes; the message has its error figures and note. */
export function expectPass(output: ConformanceOutput): void {
  expect(output.pass, describeOutput(output)).toBe(true);
}

/** One line for a compared output: `name: max |err| …, N mismatches (atol, rtol) pass|FAIL (note)`. */
export function describeOutput(o: ConformanceOutput): string {
  const err = o.maxAbsErr === null ? '' : `max |err| ${o.maxAbsErr.toExponential(2)}, `;
  return (
    `${o.name}: ${err}${o.mismatches ?? '?'} mismatches (atol ${o.atol}, rtol ${o.rtol}) ` +
    `${o.pass ? 'pass' : 'FAIL'}${o.note ? ` (${o.note})` : ''}`
  );
}
