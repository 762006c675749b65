import type { ImageGPTConfig } from '@imagegpt/config';
import type { BackendSession, HostTensor } from '../backend/backend.js';
import { FLOAT32_MIN } from '../graph/attention.js';
import type { Decoder } from './decoder.js';
import { int64Matrix } from './host-tensors.js';
import { ModelInputError } from './model-input-error.js';
import { checkIntegerRows } from './validate-inputs.js';

/** Cache slots are added this many at a time, so a regrowth (and its copy) happens once per chunk. */
const CAPACITY_STEP = 64;

interface LayerCache {
  /** Keys transposed, [B,H,D,capacity]: the score product reads them as a plain [D, S] matrix. */
  keyT: Float32Array;
  /** Values, [B,H,capacity,D]. */
  value: Float32Array;
}

/**
 * {@link Decoder} over the decode graph (`buildDecodeGraph`). The KV cache is kept in JS-owned
 * buffers; each step returns only the new tokens' keys and values, which are appended here. In
 * onnxruntime-node the buffers are wrapped, not copied, so per step nothing proportional to the
 * cache crosses the JS boundary. onnxruntime-web copies every CPU input into the wasm heap on each
 * run, so there the cache is still copied per step (keeping it on the GPU is future work). Every
 * position is real (no padding), which is how generation feeds it.
 */
export class FastDecoder implements Decoder {
  readonly batchSize: number;
  readonly #session: () => BackendSession;
  readonly #config: ImageGPTConfig;
  #layers: LayerCache[] = [];
  #capacity = 0;
  #length = 0;
  #busy = false;
  #disposed = false;

  /** `session` returns the runner's live fast session (it throws once the runner is disposed). */
  constructor(session: () => BackendSession, config: ImageGPTConfig, batchSize: number) {
    this.#session = session;
    this.#config = config;
    this.batchSize = batchSize;
  }

  get length(): number {
    return this.#length;
  }

  async next(tokens: readonly (readonly number[])[]): Promise<Float32Array> {
    if (this.#disposed) throw new Error('Decoder: next() after dispose()');
    if (this.#busy)
      throw new Error('Decoder: next() called before the previous call finished; await each step');
    const { nLayer, nHead: H, headDim: D, nPositions, vocabSize } = this.#config;
    const B = this.batchSize;
    if (!Array.isArray(tokens) || tokens.length !== B) {
      throw new ModelInputError(
        'tokens',
        `has ${Array.isArray(tokens) ? tokens.length : 'no'} rows, expected batchSize = ${B}`,
      );
    }
    const T = checkIntegerRows('inputIds', tokens, 0, vocabSize - 1, 'a token id');
    if (T === 0) throw new ModelInputError('inputIds', 'rows are empty, expected at least one token per row');
    const P = this.#length;
    if (P + T > nPositions) {
      throw new ModelInputError(
        'inputIds',
        `${P > 0 ? `${P} cached + ` : ''}${T} tokens exceed n_positions = ${nPositions}`,
      );
    }
    const session = this.#session();
    this.#busy = true;
    try {
      if (this.#capacity === 0) this.#grow(Math.min(nPositions, CAPACITY_STEP));
      const S = this.#capacity;
      // Empty slots get finfo.min, so their softmax weight is exactly 0.
      const bias = new Float32Array(S).fill(FLOAT32_MIN);
      bias.fill(0, 0, P);
      const feeds: Record<string, HostTensor> = {
        input_ids: int64Matrix(tokens),
        position_ids: int64Matrix(
          Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => P + t)),
        ),
        cache_bias: { type: 'float32', dims: [1, 1, 1, S], data: bias },
      };
      const fetches = ['logits'];
      this.#layers.forEach((layer, i) => {
        feeds[`cache.${i}.key_t`] = { type: 'float32', dims: [B, H, D, S], data: layer.keyT };
        feeds[`cache.${i}.value`] = { type: 'float32', dims: [B, H, S, D], data: layer.value };
        fetches.push(`new.${i}.key_t`, `new.${i}.value`);
      });
      const out = await session.run(feeds, fetches);
      if (this.#disposed) throw new Error('Decoder: disposed while a step was running');
      const get = (name: string) => {
        const t = out[name];
        if (t === undefined) throw new Error(`Decoder: the session did not return "${name}"`);
        return t.data as Float32Array;
      };
      if (P + T > this.#capacity)
        this.#grow(Math.min(nPositions, Math.ceil((P + T) / CAPACITY_STEP) * CAPACITY_STEP));
      const cap = this.#capacity;
      for (let i = 0; i < nLayer; i++) {
        const layer = this.#layers[i] as LayerCache;
        const keyT = get(`new.${i}.key_t`); // [B,H,D,T]
        const value = get(`new.${i}.value`); // [B,H,T,D]
        for (let bh = 0; bh < B * H; bh++) {
          for (let d = 0; d < D; d++) {
            const from = (bh * D + d) * T;
            layer.keyT.set(keyT.subarray(from, from + T), (bh * D + d) * cap + P);
          }
          layer.value.set(value.subarray(bh * T * D, (bh + 1) * T * D), (bh * cap + P) * D);
        }
      }
      this.#length = P + T;
      // [B, 1, V−1]: already the last position of each row, row-major.
      return get('logits');
    } finally {
      this.#busy = false;
    }
  }

  /** Reallocates every buffer with `capacity` slots, keeping the filled ones. */
  #grow(capacity: number): void {
    const { nLayer, nHead: H, headDim: D } = this.#config;
    const BH = this.batchSize * H;
    const old = this.#capacity;
    const filled = this.#length;
    this.#layers = Array.from({ length: nLayer }, (_, i) => {
      const layer: LayerCache = {
        keyT: new Float32Array(BH * D * capacity),
        value: new Float32Array(BH * capacity * D),
      };
      const prev = this.#layers[i];
      if (prev !== undefined && filled > 0) {
        for (let r = 0; r < BH * D; r++)
          layer.keyT.set(prev.keyT.subarray(r * old, r * old + filled), r * capacity);
        for (let bh = 0; bh < BH; bh++)
          layer.value.set(prev.value.subarray(bh * old * D, (bh * old + filled) * D), bh * capacity * D);
      }
      return layer;
    });
    this.#capacity = capacity;
  }

  dispose(): void {
    this.#disposed = true;
    this.#layers = [];
  }
}
