import type { ImageGPTConfig } from '@imagegpt/config';
import type { ForwardOptions, ForwardResult } from './forward-types.js';
import type { KeyValueCache } from './kv-cache.js';
import { ModelInputError } from './model-input-error.js';

/**
 * KV-cached incremental decoding: the first call feeds the prompt rows (B×T0), later calls B×1 (or
 * any B×k). Each call only computes the new positions; the keys and values of earlier ones come
 * from the cache. Rows may differ in length (prompts of different lengths), and a row may get no
 * tokens (`[]`, a row that is done): it is left as it is and its logits are NaN. Each row's logits
 * are those it gets alone.
 *
 * @example
 * const decoder = runner.createDecoder(2);
 * let logits = await decoder.next([[sos], [sos]]);   // [2 × (V−1)] at position 0
 * logits = await decoder.next([[5], [9]]);            // at position 1
 * decoder.dispose();
 */
export interface Decoder {
  readonly batchSize: number;
  /** Tokens fed so far: the longest row's count (every row's when they are fed alike). */
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
 * reference graph's decoder, whose whole cache is fed in and returned on every step. Rows of
 * different lengths are left-padded, as HF's generation pads them: each row's tokens end at the
 * last slot, the padding is masked out (`attentionMask`) and every real token gets its own
 * position (`positionIds`), so a row's logits are its own, a float32 rounding apart from its run
 * alone (other matrix shapes).
 */
export class ReferenceDecoder implements Decoder {
  readonly batchSize: number;
  readonly #model: DecoderModel;
  #cache: KeyValueCache | undefined;
  /** Per row and cache slot, 1 for a real token, 0 for padding; undefined while every slot is real. */
  #mask: number[][] | undefined;
  /** Real tokens per row. */
  #lengths: number[];
  #busy = false;
  #disposed = false;

  constructor(model: DecoderModel, batchSize: number) {
    this.#model = model;
    this.batchSize = batchSize;
    this.#lengths = new Array<number>(batchSize).fill(0);
  }

  get length(): number {
    return Math.max(...this.#lengths);
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
    const T = Math.max(...tokens.map((row) => (Array.isArray(row) ? row.length : 0)));
    const even = tokens.every((row) => row.length === T) && this.#mask === undefined;
    this.#busy = true;
    try {
      const past = this.#cache === undefined ? {} : { past: this.#cache };
      let result: ForwardResult;
      if (even) {
        result = await this.#model.forward(tokens, past);
      } else {
        // Left padding: each row's tokens end at the last slot; padded slots take token 0 at
        // position 0 and are masked out.
        const slots = this.#cache?.length ?? 0;
        const mask = this.#mask ?? this.#lengths.map(() => new Array<number>(slots).fill(1));
        const pad = (row: readonly number[]) => T - row.length;
        const ids = tokens.map((row) => [...new Array<number>(pad(row)).fill(0), ...row]);
        const positionIds = tokens.map((row, b) =>
          Array.from({ length: T }, (_, t) =>
            t < pad(row) ? 0 : (this.#lengths[b] as number) + t - pad(row),
          ),
        );
        this.#mask = tokens.map((row, b) => [
          ...(mask[b] as number[]),
          ...Array.from({ length: T }, (_, t) => (t < pad(row) ? 0 : 1)),
        ]);
        result = await this.#model.forward(ids, { ...past, attentionMask: this.#mask, positionIds });
      }
      if (this.#disposed) throw new Error('Decoder: disposed while a step was running');
      this.#cache = result.presents;
      this.#lengths = this.#lengths.map((P, b) => P + (tokens[b] as readonly number[]).length);
      const [B, , V] = result.logits.dims as [number, number, number];
      const logits = result.logits.data as Float32Array;
      const last = new Float32Array(B * V);
      for (let b = 0; b < B; b++) {
        if ((tokens[b] as readonly number[]).length === 0) last.fill(Number.NaN, b * V, (b + 1) * V);
        else last.set(logits.subarray((b * T + T - 1) * V, (b * T + T) * V), b * V);
      }
      return last;
    } finally {
      this.#busy = false;
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#cache = undefined;
    this.#mask = undefined;
  }
}

/** @deprecated Renamed {@link ReferenceDecoder}; this alias goes in the next minor release. */
export const KVDecoder = ReferenceDecoder;
/** @deprecated Renamed {@link ReferenceDecoder}; this alias goes in the next minor release. */
export type KVDecoder = ReferenceDecoder;
