import type { ImageGPTConfig } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import type { Attention } from './attention.js';
import { embed } from './embedding.js';
import { type FusedKernels, fusedKernels, fusedTrunk, rowsShape, scoreScale } from './fused-trunk.js';
import { floatAttr, type GraphBuilder } from './graph-builder.js';
import { finishModelGraph, type ModelGraphOptions, startModelGraph } from './model-graph.js';
import { hiddenStateNames, hiddenStateOutputs, modelHead, presentOutputs } from './model-outputs.js';
import type { ModelWeights } from './model-weights.js';

const I64 = OnnxDataType.INT64;

/** Options of {@link buildPrefillGraph}. */
export interface PrefillGraphOptions extends ModelGraphOptions {
  /** Also output `hidden_states.0 … hidden_states.{n_layer}` (HF's `output_hidden_states`). */
  readonly outputHiddenStates?: boolean;
  /** Output each layer's keys and values as `present.{i}.key` / `.value` [B,H,T,D] (default true). */
  readonly presents?: boolean;
  /** Which positions get logits (causal head): `all` (default) or only the `last` of each row. */
  readonly logits?: 'all' | 'last';
}

/**
 * ImageGPT for whole unpadded sequences (the `fused` prefill: features, classification, a prompt):
 * causal attention in one GroupQueryAttention kernel per layer, which never forms the [B,H,T,T]
 * scores, and the decode graph's fused norms, Gemm and QuickGelu (com.microsoft ops), a rounding
 * apart from the reference. No past and no mask: every position is real and positions are the
 * caller's.
 *
 * Inputs: `input_ids` [B,T] and `position_ids` [B,T] int64. Outputs: the head's (as
 * {@link buildImageGPTGraph}), `present.{i}.*` [B,H,T,D] unless `presents: false`,
 * `last_hidden_state` and, if asked, `hidden_states.{0..n_layer}`.
 *
 * @example
 * const artifact = buildPrefillGraph(config, checkpoint, { head: 'base', outputHiddenStates: true });
 */
export function buildPrefillGraph(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: PrefillGraphOptions,
): ModelArtifact {
  const { outputHiddenStates = false, presents = true } = options;
  const lastOnly = options.logits === 'last';
  const hiddenName = hiddenStateNames(outputHiddenStates);
  const { g, w } = startModelGraph(config, checkpoint, options);

  const inputIds = g.input('input_ids', I64, ['batch', 'sequence']);
  const positionIds = g.input('position_ids', I64, ['batch', 'sequence']);

  const kernels = fusedKernels(g, config, w);
  const rows = rowsShape(g, inputIds);
  const attn = groupQueryAttention(g, config, w, kernels, inputIds, rows);
  const h = embed(g, w, inputIds, positionIds, hiddenName(0));
  const last = fusedTrunk(g, config, w, kernels, h, attn, { rows, lastOnly, hiddenName });

  modelHead(g, config, w, options.head, last, lastOnly);
  if (presents) presentOutputs(g, config);
  hiddenStateOutputs(g, config, last, { lastOnly, outputHiddenStates });
  return finishModelGraph(g, config, checkpoint, options, 'fused');
}

/**
 * Causal self-attention over whole sequences in one kernel: GroupQueryAttention with packed q|k|v,
 * no past and as many key heads as query heads. Its keys and values [B,H,T,D] are HF's present.
 */
function groupQueryAttention(
  g: GraphBuilder,
  config: ImageGPTConfig,
  w: ModelWeights,
  { gemm }: FusedKernels,
  inputIds: string,
  rows: string,
): Attention {
  const { nHead: H, nEmbd: C } = config;
  const { seqlensK, total } = g.scoped('lengths', () => {
    const seq = g.op('Shape', [inputIds], { start: 1, end: 2 });
    const batch = g.op('Shape', [inputIds], { start: 0, end: 1 });
    const last = g.op('Expand', [g.op('Sub', [seq, g.int64s([1])]), batch]);
    return {
      seqlensK: g.op('Cast', [last], { to: OnnxDataType.INT32 }),
      total: g.op('Cast', [g.op('Squeeze', [seq, g.int64s([0])])], { to: OnnxDataType.INT32 }),
    };
  });
  return (x, layer) => {
    const p = `${w.prefix}h.${layer}.attn.`;
    const qkv = g.op('Reshape', [gemm(x, `${p}c_attn`), rows]);
    const [out] = g.contribOp(
      'GroupQueryAttention',
      // q|k|v packed: no separate key and value, and no past key and value.
      [qkv, undefined, undefined, undefined, undefined, seqlensK, total],
      3,
      { num_heads: H, kv_num_heads: H, scale: floatAttr(scoreScale(config, layer)) },
      [`h.${layer}.attn.out`, `present.${layer}.key`, `present.${layer}.value`],
    );
    return { output: gemm(g.op('Reshape', [out as string, g.int64s([-1, C])]), `${p}c_proj`) };
  };
}
