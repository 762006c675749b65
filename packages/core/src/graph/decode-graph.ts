import type { ImageGPTConfig } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import { type Attention, FLOAT32_MIN } from './attention.js';
import { embed } from './embedding.js';
import { type FusedKernels, fusedKernels, fusedTrunk, rowsShape, scoreScale } from './fused-trunk.js';
import type { GraphBuilder } from './graph-builder.js';
import { liesInFile } from './linear-layer.js';
import { finishModelGraph, type ModelGraphOptions, startModelGraph } from './model-graph.js';
import { hiddenStateOutputs, modelHead } from './model-outputs.js';
import type { ModelWeights } from './model-weights.js';

const F32 = OnnxDataType.FLOAT;
const I64 = OnnxDataType.INT64;

/** Options of {@link buildDecodeGraph}. */
export interface DecodeGraphOptions extends ModelGraphOptions {
  /** Which positions get logits (causal head): only the `last` of each row (default) or `all`. */
  readonly logits?: 'all' | 'last';
}

/** One layer's KV-cache buffers as graph inputs. */
interface CacheBuffers {
  readonly keyT: string;
  readonly value: string;
}

/**
 * ImageGPT for token-by-token decoding (the `fast` decoder): the KV cache lives in caller-owned
 * buffers of a fixed capacity S that are fed without a copy, and only this call's keys and values
 * come back. Onnxruntime-node copies every output back to JS, so a cache that came back as an output
 * would be copied whole on each step; as an input it is read in place. Norms, residual adds, Conv1D
 * and QuickGelu run as ONNX Runtime's fused kernels (com.microsoft), a rounding apart from the
 * reference. There is no attention mask: every position is real.
 *
 * Inputs: `input_ids` [B,T], `position_ids` [B,T] int64, `cache_bias` [1,1,1,S] or [B,1,1,S]
 * float32 (0 for filled cache slots, finfo.min for empty ones; per row when rows differ) and per layer `cache.{i}.key_t` [B,H,D,S] (keys
 * transposed) and `cache.{i}.value` [B,H,S,D]. Outputs: `logits` (the last position by default),
 * `last_hidden_state` and this call's `new.{i}.key_t` [B,H,D,T] and `new.{i}.value` [B,H,T,D],
 * which the caller appends to its buffers.
 *
 * @example
 * const session = await backend.createSession(buildDecodeGraph(config, checkpoint, { head: 'causal' }));
 */
export function buildDecodeGraph(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: DecodeGraphOptions,
): ModelArtifact {
  const { nLayer, nHead: H, headDim: D } = config;
  const lastOnly = (options.logits ?? 'last') === 'last';
  const { g, w } = startModelGraph(config, checkpoint, options);

  const inputIds = g.input('input_ids', I64, ['batch', 'sequence']);
  const positionIds = g.input('position_ids', I64, ['batch', 'sequence']);
  // One mask for the batch, or one per row when rows hold different numbers of tokens.
  const cacheBias = g.input('cache_bias', F32, ['bias_batch', 1, 1, 'capacity']);
  const cache = Array.from({ length: nLayer }, (_, i) => ({
    keyT: g.input(`cache.${i}.key_t`, F32, ['batch', H, D, 'capacity']),
    value: g.input(`cache.${i}.value`, F32, ['batch', H, 'capacity', D]),
  }));

  const kernels = fusedKernels(g, config, w);
  const rows = rowsShape(g, inputIds);
  // Weights that stay in their file are handed over as they are: the score scale is then a Mul on
  // the queries instead of being folded into c_attn (the same values for a power-of-two scale).
  const foldScale = !(
    options.weights === 'files' &&
    (options.dtype ?? 'fp32') === 'fp32' &&
    liesInFile(checkpoint, `${w.prefix}h.0.attn.c_attn.weight`)
  );
  const attn = cachedAttention(g, config, checkpoint, w, kernels, { inputIds, cacheBias, cache, foldScale });
  const h = embed(g, w, inputIds, positionIds);
  const last = fusedTrunk(g, config, w, kernels, h, attn, { rows, lastOnly });

  modelHead(g, config, w, options.head, last, lastOnly);
  for (let i = 0; i < nLayer; i++) {
    g.output(`new.${i}.key_t`, F32, ['batch', H, D, 'sequence']);
    g.output(`new.${i}.value`, F32, ['batch', H, 'sequence', D]);
  }
  hiddenStateOutputs(g, config, last, { lastOnly, outputHiddenStates: false });
  return finishModelGraph(g, config, checkpoint, options, 'fast');
}

/**
 * Attention of this call's T tokens over [cache slots ‖ themselves]: one softmax over both parts,
 * the empty slots masked by `cache_bias`, the new tokens causally among themselves.
 */
function cachedAttention(
  g: GraphBuilder,
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  w: ModelWeights,
  { gemm }: FusedKernels,
  inputs: { inputIds: string; cacheBias: string; cache: readonly CacheBuffers[]; foldScale: boolean },
): Attention {
  const { nHead: H, headDim: D, nEmbd: C } = config;
  const { inputIds, cacheBias, cache, foldScale } = inputs;
  const qkvShape = g.op('Concat', [g.op('Shape', [inputIds]), g.int64s([3 * H, D])], { axis: 0 });
  // Scores of the new tokens among themselves: causal, finfo.min above the diagonal ([T,T], shared).
  const newBias = g.scoped('mask', () => {
    const seq = g.op('Squeeze', [g.op('Shape', [inputIds], { start: 1, end: 2 }), g.int64s([0])]);
    const idx = g.op('Range', [g.int64(0), seq, g.int64(1)]);
    const hidden = g.op('Less', [
      g.op('Unsqueeze', [idx, g.int64s([1])]),
      g.op('Unsqueeze', [idx, g.int64s([0])]),
    ]);
    return g.op('Where', [hidden, g.floatConstant(FLOAT32_MIN), g.floatConstant(0)]);
  });
  // The softmax runs over [cache slots ‖ new tokens]; these are the two parts' sizes [S, T].
  const splitSizes = g.op(
    'Concat',
    [
      g.op('Shape', [(cache[0] as CacheBuffers).value], { start: 2, end: 3 }),
      g.op('Shape', [inputIds], { start: 1, end: 2 }),
    ],
    { axis: 0 },
  );
  // c_attn with the score scale folded into its query columns, so q arrives pre-scaled (1/√D is a
  // power of two for the usual head sizes, which makes the fold exact).
  const scaledQkv = (x: string, name: string, layer: number) => {
    const scale = scoreScale(config, layer);
    const weights = checkpoint.float32(`${name}.weight`).slice();
    const bias = checkpoint.float32(`${name}.bias`).slice();
    for (let r = 0; r < C; r++)
      for (let c = 0; c < C; c++) weights[r * 3 * C + c] = (weights[r * 3 * C + c] as number) * scale;
    for (let c = 0; c < C; c++) bias[c] = (bias[c] as number) * scale;
    const scaledBias = g.addInitializer(`${name}.bias`, [3 * C], bias);
    return w.linear(x, `${name}.weight`, { values: weights, bias: scaledBias });
  };

  return (x, layer) => {
    const p = `${w.prefix}h.${layer}.attn.`;
    const buffers = cache[layer] as CacheBuffers;
    // [B·T,3C] -> [B,3H,T,D] -> q, k, v as [B,H,T,D]
    const qkv = foldScale
      ? scaledQkv(x, `${p}c_attn`, layer)
      : w.linear(x, `${p}c_attn.weight`, { bias: w.tensor(`${p}c_attn.bias`) });
    const heads = g.op('Transpose', [g.op('Reshape', [qkv, qkvShape])], { perm: [0, 2, 1, 3] });
    const [unscaledQ, k, v] = g.opN('Split', [heads, g.int64s([H, H, H])], 3, { axis: 1 }, [
      `h.${layer}.attn.q`,
      `h.${layer}.attn.k`,
      `new.${layer}.value`,
    ]) as [string, string, string];
    const q = foldScale ? unscaledQ : g.op('Mul', [unscaledQ, g.floatConstant(scoreScale(config, layer))]);
    const keyT = g.op('Transpose', [k], { perm: [0, 1, 3, 2] }, `new.${layer}.key_t`);
    const scores = g.op(
      'Concat',
      [
        g.op('Add', [g.op('MatMul', [q, buffers.keyT]), cacheBias]),
        g.op('Add', [g.op('MatMul', [q, keyT]), newBias]),
      ],
      { axis: -1 },
    );
    const [pCache, pNew] = g.opN('Split', [g.op('Softmax', [scores], { axis: -1 }), splitSizes], 2, {
      axis: -1,
    }) as [string, string];
    const mixed = g.op('Add', [g.op('MatMul', [pCache, buffers.value]), g.op('MatMul', [pNew, v])]);
    const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.int64s([-1, C])]);
    return { output: gemm(merged, `${p}c_proj`) };
  };
}
