import type { ImageGPTConfig } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import { activation } from './activation.js';
import { type Attention, FLOAT32_MIN } from './attention.js';
import { embed } from './embedding.js';
import type { GraphBuilder } from './graph-builder.js';
import { layerNorm } from './layer-norm.js';
import { finishModelGraph, type ModelGraphOptions, startModelGraph } from './model-graph.js';
import {
  attentionOutputs,
  hiddenStateNames,
  hiddenStateOutputs,
  lastPosition,
  modelHead,
  presentOutputs,
} from './model-outputs.js';
import type { ModelWeights } from './model-weights.js';

const F32 = OnnxDataType.FLOAT;
const I64 = OnnxDataType.INT64;

/** Options of {@link buildImageGPTGraph}. */
export interface ImageGPTGraphOptions extends ModelGraphOptions {
  /** Also output `hidden_states.0 … hidden_states.{n_layer}` (HF's `output_hidden_states`). */
  readonly outputHiddenStates?: boolean;
  /**
   * KV-cache inputs `past_key_values.{i}.*` and outputs `present.{i}.*` (default true). Without them
   * the graph is a plain single pass over whole sequences.
   */
  readonly withPast?: boolean;
  /** Which positions get logits (causal head): `all` (default) or only the `last` of each row. */
  readonly logits?: 'all' | 'last';
  /**
   * Also output `attentions.0 … attentions.{n_layer−1}`, each layer's softmax probabilities
   * [B,H,T,P+T] (HF's `output_attentions`). Off by default: as graph outputs they could not share
   * memory, and together they grow with n_layer·T².
   */
  readonly outputAttentions?: boolean;
}

/**
 * HF's ImageGPT as one ONNX model (opset 17, standard ops) over the checkpoint's weights, in HF's
 * order of operations: the graph the goldens and `igpt conformance` check.
 *
 * Inputs: `input_ids` [B,T] int64, `attention_mask` [B,P+T] int64, `position_ids` [B,T] int64 and,
 * per layer i, `past_key_values.{i}.key` / `.value` [B,H,P,D] float32 (P may be 0). Outputs:
 * `logits` ([B,T,V−1] causal, [B,num_labels] classifier, none for base), `pooled` [B,C]
 * (classifier), `present.{i}.key` / `.value` [B,H,P+T,D], `last_hidden_state` [B,T,C] and, if
 * asked, `hidden_states.{0..n_layer}` and `attentions.{0..n_layer−1}` [B,H,T,P+T].
 *
 * @example
 * const artifact = buildImageGPTGraph(config, checkpoint, { head: 'causal' });
 * const session = await backend.createSession(artifact);
 */
export function buildImageGPTGraph(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: ImageGPTGraphOptions,
): ModelArtifact {
  const { nLayer, nHead: H, headDim: D } = config;
  const { outputHiddenStates = false, withPast = true, outputAttentions = false } = options;
  const lastOnly = options.logits === 'last';
  const hiddenName = hiddenStateNames(outputHiddenStates);
  const { g, w } = startModelGraph(config, checkpoint, options);

  const inputIds = g.input('input_ids', I64, ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', I64, ['batch', 'total_sequence']);
  const positionIds = g.input('position_ids', I64, ['batch', 'sequence']);
  const past = withPast
    ? Array.from({ length: nLayer }, (_, i) => ({
        key: g.input(`past_key_values.${i}.key`, F32, ['batch', H, 'past_sequence', D]),
        value: g.input(`past_key_values.${i}.value`, F32, ['batch', H, 'past_sequence', D]),
      }))
    : [];

  const attn = selfAttention(g, config, w, inputIds, attentionMask, past);
  const ln = layerNorm(g, w, config.layerNormEpsilon);
  const mlp = (x: string, p: string) =>
    w.conv1d(activation(g, config.activationFunction, w.conv1d(x, `${p}c_fc`)), `${p}c_proj`);

  let x = embed(g, w, inputIds, positionIds, hiddenName(0));
  for (let i = 0; i < nLayer; i++) {
    const p = `${w.prefix}h.${i}.`;
    x = g.scoped(`h.${i}`, () => {
      // attn also returns `probs`, the softmax of each head: HF's output_attentions.
      const { output, probs } = attn(ln(x, `${p}ln_1.weight`), i);
      if (outputAttentions) g.op('Identity', [probs], {}, `attentions.${i}`);
      const a = g.op('Add', [x, output]);
      // HF's hidden_states[i+1] is block i's output, except the last entry, which comes after ln_f.
      const out = i < nLayer - 1 ? hiddenName(i + 1) : undefined;
      return g.op('Add', [a, mlp(ln(a, `${p}ln_2.weight`), `${p}mlp.`)], {}, out);
    });
  }
  // Only the last position feeds the next-token logits while decoding: slice before ln_f and lm_head.
  if (lastOnly) x = lastPosition(g, x);
  const last = ln(x, `${w.prefix}ln_f.weight`, 'last_hidden_state');

  modelHead(g, config, w, options.head, last, lastOnly);
  if (withPast) presentOutputs(g, config);
  hiddenStateOutputs(g, config, last, { lastOnly, outputHiddenStates });
  if (outputAttentions) attentionOutputs(g, config);
  return finishModelGraph(g, config, checkpoint, options, 'reference');
}

/**
 * HF's ImageGPTAttention in standard ops: causal self-attention over the past and this call's
 * tokens, masked with finfo.min, any past length. With a past, the grown keys and values are the
 * graph's `present.{i}.*`.
 */
function selfAttention(
  g: GraphBuilder,
  config: ImageGPTConfig,
  w: ModelWeights,
  inputIds: string,
  attentionMask: string,
  past: readonly { readonly key: string; readonly value: string }[],
): Attention {
  const { nHead: H, headDim: D, nEmbd: C } = config;
  const { hidden, padding } = attentionMasks(g, inputIds, attentionMask, past[0]?.key);
  // [B,T,C] -> [B,H,T,D]
  const heads = (t: string) =>
    g.op('Transpose', [g.op('Reshape', [t, g.int64s([0, 0, H, D])])], { perm: [0, 2, 1, 3] });
  const withPast = (cached: string | undefined, t: string, name: string) =>
    cached === undefined ? heads(t) : g.op('Concat', [cached, heads(t)], { axis: 2 }, name);

  return (x, layer) => {
    const p = `${w.prefix}h.${layer}.attn.`;
    const qkv = w.conv1d(x, `${p}c_attn`);
    const [q, k, v] = g.opN('Split', [qkv, g.int64s([C, C, C])], 3, { axis: 2 }) as [string, string, string];
    const key = withPast(past[layer]?.key, k, `present.${layer}.key`);
    const value = withPast(past[layer]?.value, v, `present.${layer}.value`);
    let scores = g.op('MatMul', [heads(q), g.op('Transpose', [key], { perm: [0, 1, 3, 2] })]);
    if (config.reorderAndUpcastAttn) {
      // HF's baddbmm path multiplies by alpha = 1/sqrt(D) (/(layer+1)), a reciprocal computed in float64.
      let alpha = 1;
      if (config.scaleAttnWeights) alpha /= Math.sqrt(D);
      if (config.scaleAttnByInverseLayerIdx) alpha /= layer + 1;
      if (alpha !== 1) scores = g.op('Mul', [scores, g.floatConstant(alpha)]);
    } else {
      if (config.scaleAttnWeights) scores = g.op('Div', [scores, g.floatConstant(Math.sqrt(D))]);
      if (config.scaleAttnByInverseLayerIdx) scores = g.op('Div', [scores, g.floatConstant(layer + 1)]);
    }
    // Causally hidden scores are replaced by finfo.min, then the padding bias is added (HF's order).
    scores = g.op('Add', [g.op('Where', [hidden, g.floatConstant(FLOAT32_MIN), scores]), padding]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const mixed = g.op('MatMul', [probs, value]);
    const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.int64s([0, 0, C])]);
    return { output: w.conv1d(merged, `${p}c_proj`), probs };
  };
}

/**
 * The two masks every layer shares. `hidden` [T, P+T] is true where key j lies after query i's
 * absolute position P+i; `padding` [B,1,1,P+T] is (1 − attention_mask) · finfo.min.
 */
function attentionMasks(g: GraphBuilder, inputIds: string, attentionMask: string, pastKey?: string) {
  return g.scoped('mask', () => {
    const seq = g.op('Shape', [inputIds], { start: 1, end: 2 });
    const pastLen = pastKey === undefined ? g.int64s([0]) : g.op('Shape', [pastKey], { start: 2, end: 3 });
    const total = g.op('Add', [pastLen, seq]);
    const scalar = (t: string) => g.op('Squeeze', [t, g.int64s([0])]);
    const keys = g.op('Range', [g.int64(0), scalar(total), g.int64(1)]);
    const queries = g.op('Range', [scalar(pastLen), scalar(total), g.int64(1)]);
    const hidden = g.op('Less', [
      g.op('Unsqueeze', [queries, g.int64s([1])]),
      g.op('Unsqueeze', [keys, g.int64s([0])]),
    ]);
    const keep = g.op('Cast', [attentionMask], { to: OnnxDataType.FLOAT });
    const bias = g.op('Mul', [g.op('Sub', [g.floatConstant(1), keep]), g.floatConstant(FLOAT32_MIN)]);
    return { hidden, padding: g.op('Unsqueeze', [bias, g.int64s([1, 2])]) };
  });
}
