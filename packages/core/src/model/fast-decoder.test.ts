import { ImageGPTConfig } from '@imagegpt/config';
import { describe, expect, it } from 'vitest';
import type { BackendSession, HostTensor, ImageGPTBackend } from '../backend/backend.js';
import { decodeOnnxModel } from '../onnx/onnx-codec.js';
import { ImageGPTRunner } from './imagegpt-runner.js';
import { ModelInputError } from './model-input-error.js';
import { zeroCheckpoint } from './test-utils/zero-checkpoint.js';

// The runner's choice of decoder and the fast decoder's bookkeeping (what it feeds, which memory it
// binds), against a recording backend; the numbers themselves are checked on onnxruntime in @imagegpt/node.
const config = ImageGPTConfig.fromJSON({ vocab_size: 5, n_positions: 6, n_embd: 16, n_layer: 2, n_head: 2 });
const checkpoint = zeroCheckpoint(config);

interface Call {
  feeds: Record<string, HostTensor>;
  fetches: readonly string[];
}

// What onnxruntime-node 1.30 throws when a build lacks a contrib op of the fast graph, and what it
// throws for a model it cannot read (no operator refused).
const REFUSED =
  'Fatal error: com.microsoft:SkipSimplifiedLayerNormalization(-1) is not a registered function/op';
const UNREADABLE = 'Failed to load model because protobuf parsing failed.';

/**
 * A backend that records runs; a fast session answers each layer's new keys/values with `value`.
 * `failFast` is the message the fast graph's session creation rejects with, if any.
 */
function backend(failFast?: string) {
  const graphs: string[] = [];
  const calls: Call[] = [];
  let value = 0;
  const b: ImageGPTBackend = {
    name: 'recording',
    async createSession(artifact) {
      const kind =
        decodeOnnxModel(artifact.model).metadataProps?.find((p) => p.key === 'attention')?.value ?? '';
      graphs.push(kind);
      if (kind === 'fast' && failFast !== undefined) throw new Error(failFast);
      const session: BackendSession = {
        inputNames: [],
        outputNames: [],
        async run(feeds, fetches = []) {
          calls.push({ feeds: { ...feeds }, fetches });
          const [B, T] = (feeds.input_ids as HostTensor).dims as [number, number];
          value++;
          const out: Record<string, HostTensor> = {
            logits: { type: 'float32', dims: [B, 1, 4], data: new Float32Array(B * 4).fill(B) },
          };
          for (let i = 0; i < config.nLayer; i++) {
            // key_t [B,H,D,T]: entry (b,h,d,t) = value·1000 + t so positions can be told apart.
            const keyT = Float32Array.from({ length: B * 2 * 8 * T }, (_, j) => value * 1000 + (j % T));
            out[`new.${i}.key_t`] = { type: 'float32', dims: [B, 2, 8, T], data: keyT };
            out[`new.${i}.value`] = {
              type: 'float32',
              dims: [B, 2, T, 8],
              data: new Float32Array(B * 2 * T * 8).fill(value),
            };
          }
          return out;
        },
        dispose: async () => {},
      };
      return session;
    },
  };
  return { backend: b, graphs, calls };
}

describe('ImageGPTRunner decoder choice', () => {
  it('uses the fast graph only, and builds the reference graph on the first forward()', async () => {
    const rec = backend();
    const runner = await ImageGPTRunner.create({ backend: rec.backend, config, checkpoint, head: 'causal' });
    expect(runner.decoder).toBe('fast');
    expect(rec.graphs).toEqual(['fast']);
    await runner.forward([[4, 1]]).catch(() => {});
    expect(rec.graphs).toEqual(['fast', 'reference']);
    await runner.dispose();
  });

  it('falls back to the reference decoder when the backend refuses an operator of the fast graph', async () => {
    const rec = backend(REFUSED);
    const runner = await ImageGPTRunner.create({ backend: rec.backend, config, checkpoint, head: 'causal' });
    expect(runner.decoder).toBe('reference');
    expect(runner.fallbacks).toEqual([{ graph: 'fast', reason: REFUSED }]);
    expect(rec.graphs).toEqual(['fast', 'reference']);
    const asked = await ImageGPTRunner.create({
      backend: backend().backend,
      config,
      checkpoint,
      head: 'causal',
      decoder: 'reference',
    });
    expect(asked.decoder).toBe('reference');
    expect(asked.fallbacks).toEqual([]);
  });

  it('throws any other error of the fast graph instead of falling back', async () => {
    const rec = backend(UNREADABLE);
    await expect(
      ImageGPTRunner.create({ backend: rec.backend, config, checkpoint, head: 'causal' }),
    ).rejects.toThrow(UNREADABLE);
    // The reference graph was never tried: the error is the caller's to see.
    expect(rec.graphs).toEqual(['fast']);
  });
});

describe('FastDecoder', () => {
  it('feeds the cache buffers in place and appends only the new keys and values', async () => {
    const rec = backend();
    const runner = await ImageGPTRunner.create({ backend: rec.backend, config, checkpoint, head: 'causal' });
    const decoder = runner.createDecoder(2);
    const logits = await decoder.next([
      [4, 1, 2],
      [4, 3, 0],
    ]);
    expect(Array.from(logits)).toEqual(new Array(8).fill(2));
    await decoder.next([[1], [2]]);
    await decoder.next([[3], [3]]);
    expect(decoder.length).toBe(5);
    const [first, second, third] = rec.calls as [Call, Call, Call];
    // The capacity is n_positions here (6 < one 64-slot chunk): the same buffers on every step.
    expect(first.feeds['cache.1.key_t']?.dims).toEqual([2, 2, 8, 6]);
    expect(first.feeds['cache.1.value']?.dims).toEqual([2, 2, 6, 8]);
    expect(third.feeds['cache.1.value']?.data).toBe(first.feeds['cache.1.value']?.data);
    expect(first.fetches).toEqual(['logits', 'new.0.key_t', 'new.0.value', 'new.1.key_t', 'new.1.value']);
    const min = -3.4028234663852886e38;
    expect(Array.from(first.feeds.cache_bias?.data as Float32Array)).toEqual(new Array(6).fill(min));
    expect(Array.from(second.feeds.cache_bias?.data as Float32Array)).toEqual([0, 0, 0, min, min, min]);
    expect(Array.from(third.feeds.position_ids?.data as BigInt64Array)).toEqual([4n, 4n]);
    // Slot t of a key row holds step s's (s·1000 + t within that step); values are the step number.
    const keyT = third.feeds['cache.0.key_t']?.data as Float32Array;
    expect(Array.from(keyT.subarray(0, 6))).toEqual([1000, 1001, 1002, 2000, 3000, 0]);
    const values = third.feeds['cache.0.value']?.data as Float32Array;
    expect(Array.from(values.subarray(0, 6 * 8)).filter((_, j) => j % 8 === 0)).toEqual([1, 1, 1, 2, 3, 0]);
  });

  it('runs prompts of different lengths each on its own, then steps every row at its own position', async () => {
    const rec = backend();
    const runner = await ImageGPTRunner.create({ backend: rec.backend, config, checkpoint, head: 'causal' });
    const decoder = runner.createDecoder(2);
    const min = -3.4028234663852886e38;
    // Two batch-1 runs, each on a view of its row's slice of the buffers (no copy).
    const prompts = await decoder.next([[4, 1, 2], [4]]);
    expect(Array.from(prompts)).toEqual(new Array(8).fill(1));
    const [row0, row1] = rec.calls as [Call, Call];
    expect(row0.feeds['cache.0.key_t']?.dims).toEqual([1, 2, 8, 6]);
    const view = row1.feeds['cache.0.key_t']?.data as Float32Array;
    expect([view.length, view.byteOffset]).toEqual([2 * 8 * 6, 2 * 8 * 6 * 4]);
    expect(Array.from(row1.feeds.position_ids?.data as BigInt64Array)).toEqual([0n]);
    expect(decoder.length).toBe(3);
    // One batched step: positions and masks per row.
    await decoder.next([[3], [0]]);
    const step = rec.calls[2] as Call;
    expect(Array.from(step.feeds.position_ids?.data as BigInt64Array)).toEqual([3n, 1n]);
    expect(step.feeds.cache_bias?.dims).toEqual([2, 1, 1, 6]);
    expect(Array.from(step.feeds.cache_bias?.data as Float32Array)).toEqual([
      0,
      0,
      0,
      min,
      min,
      min,
      0,
      min,
      min,
      min,
      min,
      min,
    ]);
    // A row given no tokens gets a stand-in that is not kept, and NaN logits.
    const done = await decoder.next([[2], []]);
    expect(Array.from(done.subarray(0, 4))).toEqual([2, 2, 2, 2]);
    expect(Array.from(done.subarray(4)).every(Number.isNaN)).toBe(true);
    expect(Array.from((rec.calls[3] as Call).feeds.position_ids?.data as BigInt64Array)).toEqual([4n, 2n]);
    const keyT = (rec.calls[3] as Call).feeds['cache.0.key_t']?.data as Float32Array;
    // Row 0: its prompt (run 1), then steps 3 and 4; row 1: its prompt (run 2) and step 3 only.
    expect(Array.from(keyT.subarray(0, 6))).toEqual([1000, 1001, 1002, 3000, 4000, 0]);
    expect(Array.from(keyT.subarray(96, 102))).toEqual([2000, 3000, 0, 0, 0, 0]);
    await expect(decoder.next([[], []])).rejects.toThrow(/rows are empty/);
    await expect(decoder.next([[1], [1, 2, 3, 4, 0]])).rejects.toThrow(
      /inputIds\[1\]: 2 cached \+ 5 tokens exceed/,
    );
  });

  it('grows its buffers a chunk at a time and keeps what they held', async () => {
    const long = ImageGPTConfig.fromJSON({
      vocab_size: 5,
      n_positions: 130,
      n_embd: 16,
      n_layer: 2,
      n_head: 2,
    });
    const weights = zeroCheckpoint(long);
    const rec = backend();
    const runner = await ImageGPTRunner.create({
      backend: rec.backend,
      config: long,
      checkpoint: weights,
      head: 'causal',
    });
    const decoder = runner.createDecoder(1);
    await decoder.next([Array.from({ length: 63 }, () => 1)]);
    await decoder.next([[1, 2]]); // 65 tokens: the buffers grow to 128 slots
    await decoder.next([[1]]);
    const last = rec.calls.at(-1) as Call;
    expect(last.feeds['cache.0.value']?.dims).toEqual([1, 2, 128, 8]);
    const keyT = last.feeds['cache.0.key_t']?.data as Float32Array;
    // (The recorded feeds are the live buffers, so slot 65 already holds the third step's key.)
    expect([keyT[0], keyT[62], keyT[63], keyT[64], keyT[65], keyT[66]]).toEqual([
      1000, 1062, 2000, 2001, 3000, 0,
    ]);
    // Head 1's first key row starts at 8 rows of 128 slots in.
    expect(keyT[8 * 128 + 63]).toBe(2000);
  });

  it('checks rows, ids and the context length before running', async () => {
    const rec = backend();
    const runner = await ImageGPTRunner.create({ backend: rec.backend, config, checkpoint, head: 'causal' });
    const decoder = runner.createDecoder(1);
    await expect(decoder.next([[4], [4]])).rejects.toThrow(ModelInputError);
    await expect(decoder.next([[5]])).rejects.toThrow(/token id in 0..4/);
    await decoder.next([[4, 0, 1, 2, 3]]);
    await expect(decoder.next([[1, 2]])).rejects.toThrow(/5 cached \+ 2 tokens exceed n_positions = 6/);
    expect(rec.calls).toHaveLength(1);
    await runner.dispose();
    await expect(decoder.next([[1]])).rejects.toThrow(/disposed/);
  });
});
