import type { ImageGPTConfig } from '@imagegpt/config';
import type { BackendSession, HostTensor } from '../backend/backend.js';
import { FLOAT32_MIN } from '../graph/attention.js';
import type { Decoder } from './decoder.js';
import { int64Matrix } from './host-tensors.js';
import { checkDecoderRows } from './validate-inputs.js';

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
 * run, so there the cache is still copied per step (keeping it on the GPU is future work).
 *
 * Every position is real (no padding). Rows may hold different numbers of tokens: prompts of
 * different lengths are each run on their own (batch 1, on a view of the row's slice of the
 * buffers), then every step runs the whole batch, each row at its own position with its own mask
 * over the cache slots. Rows of one length, as generation mostly feeds them, run as one batch
 * throughout with one mask.
 */
export class FastDecoder implements Decoder {
  readonly batchSize: number;
  readonly #session: () => BackendSession;
  readonly #config: ImageGPTConfig;
  #layers: LayerCache[] = [];
  /** Per layer, the memory the buffers in {@link #layers} view, sized for every position. */
  #blocks: LayerCache[] = [];
  #capacity = 0;
  /** Tokens held per row. */
  #lengths: number[];
  #busy = false;
  #disposed = false;

  /** `session` returns the runner's live fast session (it throws once the runner is disposed). */
  constructor(session: () => BackendSession, config: ImageGPTConfig, batchSize: number) {
    this.#session = session;
    this.#config = config;
    this.batchSize = batchSize;
    this.#lengths = new Array<number>(batchSize).fill(0);
  }

  get length(): number {
    return Math.max(...this.#lengths);
  }

  get lengths(): readonly number[] {
    return [...this.#lengths];
  }

  async next(tokens: readonly (readonly number[])[]): Promise<Float32Array> {
    if (this.#disposed) throw new Error('Decoder: next() after dispose()');
    if (this.#busy)
      throw new Error('Decoder: next() called before the previous call finished; await each step');
    const { nPositions, vocabSize } = this.#config;
    const counts = checkDecoderRows(tokens, this.batchSize, this.#lengths, nPositions, vocabSize);
    const session = this.#session();
    this.#busy = true;
    try {
      if (this.#capacity === 0) this.#grow(Math.min(nPositions, CAPACITY_STEP));
      const V = vocabSize - 1;
      const first = counts[0] as number;
      const uniform = counts.every((T) => T === first) && this.#lengths.every((P) => P === this.#lengths[0]);
      if (uniform) return await this.#run(session, tokens, undefined);
      if (counts.every((T) => T <= 1)) return await this.#run(session, tokens, counts);
      // Rows of different lengths (prompts): each on its own, the others' logits NaN.
      const logits = new Float32Array(this.batchSize * V).fill(Number.NaN);
      for (let b = 0; b < this.batchSize; b++) {
        if (counts[b] === 0) continue;
        logits.set(await this.#runRow(session, b, tokens[b] as readonly number[]), b * V);
      }
      return logits;
    } finally {
      this.#busy = false;
    }
  }

  /**
   * One batched run. `counts` undefined: every row gets T tokens after the same P. Otherwise each
   * row gets at most one token after its own length; a row given none is fed a stand-in that is
   * neither kept nor reported (its logits are NaN).
   */
  async #run(
    session: BackendSession,
    tokens: readonly (readonly number[])[],
    counts: readonly number[] | undefined,
  ): Promise<Float32Array> {
    const { nPositions, vocabSize } = this.#config;
    const B = this.batchSize;
    const S = this.#capacity;
    const T = counts === undefined ? (tokens[0] as readonly number[]).length : 1;
    const lengths = this.#lengths;
    let bias: HostTensor;
    if (counts === undefined) {
      // Empty slots get finfo.min, so their softmax weight is exactly 0.
      const shared = new Float32Array(S).fill(FLOAT32_MIN);
      shared.fill(0, 0, lengths[0]);
      bias = { type: 'float32', dims: [1, 1, 1, S], data: shared };
    } else {
      const perRow = new Float32Array(B * S).fill(FLOAT32_MIN);
      for (let b = 0; b < B; b++) perRow.fill(0, b * S, b * S + (lengths[b] as number));
      bias = { type: 'float32', dims: [B, 1, 1, S], data: perRow };
    }
    const ids = tokens.map((row) => (row.length === 0 ? [0] : row));
    const positions = lengths.map((P) =>
      Array.from({ length: T }, (_, t) => Math.min(P + t, nPositions - 1)),
    );
    const out = await session.run(
      this.#feeds(int64Matrix(ids), int64Matrix(positions), bias, (layer) => layer),
      this.#fetches(),
    );
    if (this.#disposed) throw new Error('Decoder: disposed while a step was running');
    const keep = counts === undefined ? new Array<number>(B).fill(T) : counts;
    this.#append(out, keep, T);
    // [B, 1, V−1]: already the last position of each row, row-major.
    const logits = output(out, 'logits');
    const V = vocabSize - 1;
    keep.forEach((n, b) => {
      if (n === 0) logits.fill(Number.NaN, b * V, (b + 1) * V);
    });
    return logits;
  }

  /** Row `b`'s tokens on their own: a batch-1 run on views of the row's slice of every buffer. */
  async #runRow(session: BackendSession, b: number, row: readonly number[]): Promise<Float32Array> {
    const { nHead: H, headDim: D } = this.#config;
    const S = this.#capacity;
    const P = this.#lengths[b] as number;
    const bias = new Float32Array(S).fill(FLOAT32_MIN);
    bias.fill(0, 0, P);
    const slice = (data: Float32Array) => data.subarray(b * H * D * S, (b + 1) * H * D * S);
    const out = await session.run(
      this.#feeds(
        int64Matrix([row]),
        int64Matrix([row.map((_, t) => P + t)]),
        { type: 'float32', dims: [1, 1, 1, S], data: bias },
        (layer) => ({ keyT: slice(layer.keyT), value: slice(layer.value) }),
        1,
      ),
      this.#fetches(),
    );
    if (this.#disposed) throw new Error('Decoder: disposed while a step was running');
    const counts = new Array<number>(this.batchSize).fill(0);
    counts[b] = row.length;
    this.#append(out, counts, row.length, b);
    return output(out, 'logits');
  }

  #feeds(
    inputIds: HostTensor,
    positionIds: HostTensor,
    cacheBias: HostTensor,
    view: (layer: LayerCache) => LayerCache,
    rows = this.batchSize,
  ): Record<string, HostTensor> {
    const { nHead: H, headDim: D } = this.#config;
    const S = this.#capacity;
    const feeds: Record<string, HostTensor> = {
      input_ids: inputIds,
      position_ids: positionIds,
      cache_bias: cacheBias,
    };
    this.#layers.forEach((layer, i) => {
      const { keyT, value } = view(layer);
      feeds[`cache.${i}.key_t`] = { type: 'float32', dims: [rows, H, D, S], data: keyT };
      feeds[`cache.${i}.value`] = { type: 'float32', dims: [rows, H, S, D], data: value };
    });
    return feeds;
  }

  #fetches(): string[] {
    return ['logits', ...this.#layers.flatMap((_, i) => [`new.${i}.key_t`, `new.${i}.value`])];
  }

  /**
   * Appends the run's new keys and values ([R,H,D,T] and [R,H,T,D]) to the buffers: the first
   * `counts[b]` tokens of each row, after that row's length. `only` is the row a batch-1 run was for.
   */
  #append(out: Record<string, HostTensor>, counts: readonly number[], T: number, only?: number): void {
    const { nLayer, nHead: H, headDim: D, nPositions } = this.#config;
    const needed = Math.max(...this.#lengths.map((P, b) => P + (counts[b] as number)));
    if (needed > this.#capacity)
      this.#grow(Math.min(nPositions, Math.ceil(needed / CAPACITY_STEP) * CAPACITY_STEP));
    const cap = this.#capacity;
    for (let i = 0; i < nLayer; i++) {
      const layer = this.#layers[i] as LayerCache;
      const keyT = output(out, `new.${i}.key_t`);
      const value = output(out, `new.${i}.value`);
      const kt = layer.keyT;
      counts.forEach((n, b) => {
        if (n === 0) return;
        const P = this.#lengths[b] as number;
        // Row b of the run's outputs: itself in a batched run, the only row in a batch-1 run.
        const r = only === undefined ? b : 0;
        for (let h = 0; h < H; h++) {
          const src = r * H + h;
          const dst = b * H + h;
          // Keys go in as runs of n values, one per (head, dim) row: element by element, since a
          // subarray and a set per row (B·H·D of them per layer per step) cost more than the copy.
          for (let d = 0; d < D; d++) {
            const from = (src * D + d) * T;
            const to = (dst * D + d) * cap + P;
            for (let t = 0; t < n; t++) kt[to + t] = keyT[from + t] as number;
          }
          layer.value.set(value.subarray(src * T * D, (src * T + n) * D), (dst * cap + P) * D);
        }
      });
    }
    this.#lengths = this.#lengths.map((P, b) => P + (counts[b] as number));
  }

  /**
   * Gives every buffer `capacity` slots, keeping the filled ones. Each layer's keys and values live
   * in two memory blocks sized for the most positions, allocated on the first call; growing lays the
   * rows out again at the wider stride inside them (the last row first, so no row is overwritten
   * before it has moved). Allocating fresh buffers at each growth instead touched new memory every
   * 64 positions, about 8 whole caches over an image, and a page fault per 4 KiB of it.
   */
  #grow(capacity: number): void {
    const { nLayer, nHead: H, headDim: D, nPositions } = this.#config;
    const BH = this.batchSize * H;
    const old = this.#capacity;
    const filled = Math.min(old, Math.max(...this.#lengths));
    if (this.#blocks.length === 0) {
      this.#blocks = Array.from({ length: nLayer }, () => ({
        keyT: new Float32Array(BH * D * nPositions),
        value: new Float32Array(BH * nPositions * D),
      }));
    }
    this.#layers = this.#blocks.map(({ keyT, value }) => {
      if (filled > 0) {
        // Each row's empty slots are zeroed after it moves (they held other rows): what is not
        // filled reads as zeros, as in a fresh buffer, though the mask hides it anyway.
        for (let r = BH * D - 1; r >= 0; r--) {
          if (r > 0) keyT.copyWithin(r * capacity, r * old, r * old + filled);
          keyT.fill(0, r * capacity + filled, (r + 1) * capacity);
        }
        for (let bh = BH - 1; bh >= 0; bh--) {
          if (bh > 0) value.copyWithin(bh * capacity * D, bh * old * D, (bh * old + filled) * D);
          value.fill(0, (bh * capacity + filled) * D, (bh + 1) * capacity * D);
        }
      }
      return { keyT: keyT.subarray(0, BH * D * capacity), value: value.subarray(0, BH * capacity * D) };
    });
    this.#capacity = capacity;
  }

  dispose(): void {
    this.#disposed = true;
    this.#layers = [];
    this.#blocks = [];
  }
}

/** A float32 output of a run, named in the error when the session left it out. */
function output(out: Record<string, HostTensor>, name: string): Float32Array {
  const t = out[name];
  if (t === undefined) throw new Error(`Decoder: the session did not return "${name}"`);
  return t.data as Float32Array;
}
