import type { ImageGPTConfig } from '@imagegpt/config';
import type { ForwardOptions, ForwardResult } from './forward-types.js';
import type { KeyValueCache } from './kv-cache.js';
import { ModelInputError } from './model-input-error.js';

/**
 * KV-cached incremental decoding: the first call feeds the prompt rows (B×T0), later calls B×1 (or
 * any B×k). Each call only computes the new positions; the keys and values of earlier ones come
 * from the cache.
 *
 * @example
 * const decoder = runner.createDecoder(2);
 * let logits = await decoder.next([[sos], [sos]]);   // [2 × (V−1)] at position 0
 * logits = await decoder.next([[5], [9]]);            // at position 1
 * decoder.dispose();
 */
export interface Decoder {
  readonly batchSize: number;
  /** Tokens fed so far per row (the cache length). */
  readonly length: number;
  /** Feeds `tokens` ([B][k]) and returns the logits at each row's last position, row-major [B, V−1]. */
  next(tokens: readonly (readonly number[])[]): Promise<Float32Array>;
  /** Drops the cache. */
  dispose(): void;
}

/** What {@link ReferenceDecoder} needs from its model. */
export interface DecoderModel {
  readonly config: ImageGPTConfig;
  forward(inputIds: readonly (readonly number[])[], options?: ForwardOptions): Promise<ForwardResult>;
}

/**
 * {@link Decoder} over a model's forward pass with `past` (no recompute of earlier positions): the
 * reference graph's decoder, whose whole cache is fed in and returned on every step.
 */
export class ReferenceDecoder implements Decoder {
  readonly batchSize: number;
  readonly #model: DecoderModel;
  #cache: KeyValueCache | undefined;
  #busy = false;
  #disposed = false;

  constructor(model: DecoderModel, batchSize: number) {
    this.#model = model;
    this.batchSize = batchSize;
  }

  get length(): number {
    return this.#cache?.length ?? 0;
  }

  async next(tokens: readonly (readonly number[])[]): Promise<Float32Array> {
    if (this.#disposed) throw new Error('Decoder: next() after dispose()');
    if (this.#busy)
      throw new Error('Decoder: next() called before the previous call finished; await each step');
    if (!Array.isArray(tokens) || tokens.length !== this.batchSize) {
      throw new ModelInputError(
        'tokens',
        `has ${Array.isArray(tokens) ? tokens.length : 'no'} rows, expected batchSize = ${this.batchSize}`,
      );
    }
    this.#busy = true;
    try {
      const result = await this.#model.forward(
        tokens,
        this.#cache === undefined ? {} : { past: this.#cache },
      );
      if (this.#disposed) throw new Error('Decoder: disposed while a step was running');
      this.#cache = result.presents;
      const [B, T, V] = result.logits.dims as [number, number, number];
      const logits = result.logits.data as Float32Array;
      const last = new Float32Array(B * V);
      for (let b = 0; b < B; b++) last.set(logits.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
      return last;
    } finally {
      this.#busy = false;
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#cache = undefined;
  }
}

/** @deprecated Renamed {@link ReferenceDecoder}; this alias goes in the next minor release. */
export const KVDecoder = ReferenceDecoder;
/** @deprecated Renamed {@link ReferenceDecoder}; this alias goes in the next minor release. */
export type KVDecoder = ReferenceDecoder;
