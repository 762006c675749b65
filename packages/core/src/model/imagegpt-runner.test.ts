import { ImageGPTConfig } from '@imagegpt/config';
import { describe, expect, it } from 'vitest';
import type { BackendSession, HostTensor, ImageGPTBackend, ModelArtifact } from '../backend/backend.js';
import type { DecoderKind, PrefillKind } from '../graph/graph-kind.js';
import { decodeOnnxModel } from '../onnx/onnx-codec.js';
import { KVDecoder, ReferenceDecoder } from './decoder.js';
import { ImageGPTRunner } from './imagegpt-runner.js';
import { ModelInputError } from './model-input-error.js';
import { zeroCheckpoint } from './test-utils/zero-checkpoint.js';

// A backend that records what the runner feeds and answers with tensors of the right shapes, to
// check the runner's bookkeeping (defaults, cache hand-over, validation) without a runtime.
const config = ImageGPTConfig.fromJSON({ vocab_size: 5, n_positions: 8, n_embd: 4, n_layer: 2, n_head: 2 });
const checkpoint = zeroCheckpoint(config);

// onnxruntime-web 1.30's wording when no execution provider has a kernel for an operator.
const NO_KERNEL =
  "Can't create a session. ERROR_CODE: 9, ERROR_MESSAGE: Failed to find kernel for " +
  "com.microsoft.GroupQueryAttention(1) (node:'h.0/GroupQueryAttention_20' ep:'CPUExecutionProvider').";

/** `refuse`: the graph (metadata `attention`) whose session creation rejects, and with what message. */
function fakeBackend(refuse?: { graph: string; message: string }) {
  const calls: { feeds: Record<string, HostTensor>; fetches: readonly string[] }[] = [];
  const artifacts: ModelArtifact[] = [];
  let disposed = 0;
  const backend: ImageGPTBackend = {
    name: 'fake',
    async createSession(artifact) {
      const kind = decodeOnnxModel(artifact.model).metadataProps?.find((p) => p.key === 'attention')?.value;
      if (refuse !== undefined && kind === refuse.graph) throw new Error(refuse.message);
      artifacts.push(artifact);
      const session: BackendSession = {
        inputNames: [],
        outputNames: [],
        async run(feeds, fetches = []) {
          calls.push({ feeds: { ...feeds }, fetches });
          const [B, T] = (feeds.input_ids as HostTensor).dims as [number, number];
          const P = feeds['past_key_values.0.key']?.dims[2] ?? 0;
          const zeros = (dims: number[]): HostTensor => ({
            type: 'float32',
            dims,
            data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(P + T),
          });
          const out: Record<string, HostTensor> = {};
          for (const name of fetches) {
            out[name] = name.startsWith('present')
              ? zeros([B, 2, P + T, 2])
              : name === 'logits'
                ? zeros([B, T, 4])
                : zeros([B, T, 4]);
          }
          return out;
        },
        async dispose() {
          disposed++;
        },
      };
      return session;
    },
  };
  return { backend, calls, artifacts, disposed: () => disposed };
}

/** A causal runner on the fake backend; `options` picks the decoder and prefill graphs. */
function runnerOn(
  backend: ImageGPTBackend,
  options: { decoder?: DecoderKind; prefill?: PrefillKind } = {},
): Promise<ImageGPTRunner> {
  return ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal', ...options });
}

describe('ImageGPTRunner bookkeeping', () => {
  it('builds one graph with hidden-state outputs and fetches only what a call asks for', async () => {
    const fake = fakeBackend();
    // The reference graph and decoder (the fast decoder, the default, has its own tests).
    const runner = await runnerOn(fake.backend, { decoder: 'reference' });
    const outputs = decodeOnnxModel(fake.artifacts[0]?.model as Uint8Array).graph.output.map((o) => o.name);
    expect(outputs).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
      'last_hidden_state',
      'hidden_states.0',
      'hidden_states.1',
      'hidden_states.2',
    ]);

    await runner.forward([[4, 1, 2]]);
    expect(fake.calls[0]?.fetches).toEqual([
      'logits',
      'last_hidden_state',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
    const withHidden = await runner.forward([[4]], { outputHiddenStates: true });
    expect(withHidden.hiddenStates).toHaveLength(3);
    await runner.dispose();
    await runner.dispose();
    expect(fake.disposed()).toBe(1);
  });

  it('fills HF defaults: mask of ones over past + new, positions past + arange(T), empty past', async () => {
    const fake = fakeBackend();
    const runner = await runnerOn(fake.backend);
    const first = await runner.forward([
      [4, 1],
      [4, 2],
    ]);
    const feeds0 = fake.calls[0]?.feeds ?? {};
    expect(feeds0['past_key_values.1.value']?.dims).toEqual([2, 2, 0, 2]);
    expect(Array.from(feeds0.position_ids?.data as BigInt64Array)).toEqual([0n, 1n, 0n, 1n]);
    await runner.forward([[3], [3]], { past: first.presents });
    const feeds1 = fake.calls[1]?.feeds ?? {};
    expect(feeds1['past_key_values.0.key']).toBe(first.presents.layers[0]?.key);
    expect(Array.from(feeds1.position_ids?.data as BigInt64Array)).toEqual([2n, 2n]);
    expect(feeds1.attention_mask?.dims).toEqual([2, 3]);
    expect(Array.from(feeds1.attention_mask?.data as BigInt64Array)).toEqual([1n, 1n, 1n, 1n, 1n, 1n]);
  });

  it('runs plain whole sequences on the fused graph, anything with past, padding or positions on the reference', async () => {
    const fake = fakeBackend();
    const runner = await runnerOn(fake.backend, { decoder: 'reference', prefill: 'fused' });
    const attentionOf = (i: number) =>
      decodeOnnxModel(fake.artifacts[i]?.model as Uint8Array).metadataProps?.find(
        (p) => p.key === 'attention',
      )?.value;
    const plain = await runner.forward([[4, 1, 2]], { attentionMask: [[1, 1, 1]], outputHiddenStates: true });
    expect(plain.hiddenStates).toHaveLength(3);
    expect(plain.presents.layers[1]?.key.dims).toEqual([1, 2, 3, 2]);
    await runner.forward([[4, 1]], { attentionMask: [[0, 1]] });
    await runner.forward([[3]], { past: plain.presents });
    await runner.forward([[4, 1]], { positionIds: [[0, 1]] });
    // The fused session opens at create(); the reference one only when a call needs it.
    expect([attentionOf(0), attentionOf(1)]).toEqual(['fused', 'reference']);
    // One attention kernel per layer and no score tensor: no Softmax anywhere.
    const ops = decodeOnnxModel(fake.artifacts[0]?.model as Uint8Array).graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'GroupQueryAttention')).toHaveLength(config.nLayer);
    expect(ops).not.toContain('Softmax');
    // The fused graph has no mask or past inputs; the reference calls have both.
    expect(fake.calls.map((c) => 'attention_mask' in c.feeds)).toEqual([false, true, true, true]);
    expect(fake.calls[0]?.feeds['past_key_values.0.key']).toBeUndefined();
    await runner.dispose();
    expect(fake.disposed()).toBe(2);
  });

  it('a batch job (fused prefill, plain sequences) opens one session only', async () => {
    const fake = fakeBackend();
    const runner = await runnerOn(fake.backend, { decoder: 'reference', prefill: 'fused' });
    await runner.forward([[4, 1, 2]], { outputHiddenStates: true });
    await runner.forward([[4, 2, 2]]);
    expect(fake.artifacts).toHaveLength(1);
    await runner.dispose();
    expect(fake.disposed()).toBe(1);
  });

  it('falls back to the reference graph when the backend refuses an operator of the fused one', async () => {
    const fake = fakeBackend({ graph: 'fused', message: NO_KERNEL });
    const runner = await runnerOn(fake.backend, { decoder: 'reference', prefill: 'fused' });
    expect(runner.fallbacks).toEqual([{ graph: 'fused', reason: NO_KERNEL }]);
    const out = await runner.forward([[4, 1]]);
    expect(out.presents.length).toBe(2);
    expect(fake.calls.map((c) => c.feeds.attention_mask?.dims)).toEqual([[1, 2]]);
    await runner.dispose();
  });

  it('records a fused graph refused on first use, after create()', async () => {
    const fake = fakeBackend({ graph: 'fused', message: NO_KERNEL });
    // The fast decoder opens at create(); the fused prefill waits for the first plain forward().
    const runner = await runnerOn(fake.backend, { prefill: 'fused' });
    expect(runner.fallbacks).toEqual([]);
    await runner.forward([[4, 1]]);
    expect(runner.fallbacks.map((f) => f.graph)).toEqual(['fused']);
    expect(fake.calls.at(-1)?.feeds.attention_mask?.dims).toEqual([1, 2]);
    await runner.dispose();
  });

  it('throws an error of the fused graph that is not a refused operator', async () => {
    const message =
      "Can't create a session. ERROR_CODE: 7, ERROR_MESSAGE: Failed to load model because protobuf parsing failed.";
    const fake = fakeBackend({ graph: 'fused', message });
    await expect(runnerOn(fake.backend, { decoder: 'reference', prefill: 'fused' })).rejects.toThrow(message);
  });

  it('validates before any compute', async () => {
    const fake = fakeBackend();
    const runner = await runnerOn(fake.backend);
    await expect(runner.forward([[5]])).rejects.toThrow(ModelInputError);
    await expect(runner.forward([[4, 1], [4]])).rejects.toThrow(ModelInputError);
    await expect(runner.forward([new Array(9).fill(1)])).rejects.toThrow(ModelInputError);
    await expect(runner.forward([[4]], { attentionMask: [[1, 1]] })).rejects.toThrow(ModelInputError);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('Decoder', () => {
  it('feeds only the new tokens with the previous presents as past', async () => {
    const fake = fakeBackend();
    const runner = await runnerOn(fake.backend, { decoder: 'reference' });
    const decoder = runner.createDecoder(2);
    expect(decoder).toBeInstanceOf(ReferenceDecoder);
    expect(decoder).toBeInstanceOf(KVDecoder); // the deprecated name still works
    const logits = await decoder.next([
      [4, 0, 1],
      [4, 2, 3],
    ]);
    expect(logits).toEqual(new Float32Array(8).fill(3)); // [B, V−1] at the last position
    for (let step = 0; step < 4; step++) await decoder.next([[1], [2]]);
    expect(decoder.length).toBe(7);
    expect(fake.calls.map((c) => c.feeds.input_ids?.dims)).toEqual([
      [2, 3],
      [2, 1],
      [2, 1],
      [2, 1],
      [2, 1],
    ]);
    expect(fake.calls.map((c) => c.feeds['past_key_values.0.key']?.dims[2])).toEqual([0, 3, 4, 5, 6]);
    await expect(decoder.next([[1], [2]]).then(() => decoder.next([[1], [2]]))).rejects.toThrow(
      /exceed n_positions = 8/,
    );
  });

  it('refuses overlapping steps', async () => {
    const fake = fakeBackend();
    const runner = await runnerOn(fake.backend);
    const decoder = runner.createDecoder(1);
    const first = decoder.next([[4]]);
    await expect(decoder.next([[1]])).rejects.toThrow(/before the previous call finished/);
    await first;
  });
});
