import type { ImageGPTConfig } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import { activation } from './activation.js';
import { checkImageGPTWeights } from './expected-weights.js';
import { GraphBuilder } from './graph-builder.js';
import type { HeadKind } from './head-kind.js';

/** Options of {@link buildImageGPTGraph}. */
export interface ImageGPTGraphOptions {
  readonly head: HeadKind;
  /** Also output `hidden_states.0 … hidden_states.{n_layer}` (HF's `output_hidden_states`). */
  readonly outputHiddenStates?: boolean;
  /** Weight bytes above which weights go to ONNX external data (default just under 2 GiB). */
  readonly externalDataThreshold?: number;
}

/** torch.finfo(torch.float32).min: HF masks with it, not with −inf. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Builds HF's ImageGPT as one ONNX model (opset 17) over the checkpoint's weights.
 *
 * Inputs: `input_ids` [B,T] int64, `attention_mask` [B,P+T] int64, `position_ids` [B,T] int64 and,
 * per layer i, `past_key_values.{i}.key` / `.value` [B,H,P,D] float32 (P may be 0).
 * Outputs: `logits` ([B,T,V−1] causal, [B,num_labels] classifier, none for base), `pooled` [B,C]
 * (classifier), `present.{i}.key` / `.value` [B,H,P+T,D], `last_hidden_state` [B,T,C] and, if asked,
 * `hidden_states.{0..n_layer}`.
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
  const { head, outputHiddenStates = false } = options;
  const prefix = checkImageGPTWeights(config, checkpoint, head);
  const { nLayer, nHead: H, headDim: D, nEmbd: C, vocabSize: V, layerNormEpsilon: eps } = config;
  const g = new GraphBuilder(`imagegpt_${head}`);
  const F32 = OnnxDataType.FLOAT;
  const I64 = OnnxDataType.INT64;
  const weight = (name: string) =>
    g.addInitializer(name, checkpoint.get(name).shape, checkpoint.float32(name));
  const hiddenName = (i: number) => (outputHiddenStates ? `hidden_states.${i}` : undefined);

  // --- Inputs ------------------------------------------------------------------------------
  const inputIds = g.input('input_ids', I64, ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', I64, ['batch', 'total_sequence']);
  const positionIds = g.input('position_ids', I64, ['batch', 'sequence']);
  const past = Array.from({ length: nLayer }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, F32, ['batch', H, 'past_sequence', D]),
    value: g.input(`past_key_values.${i}.value`, F32, ['batch', H, 'past_sequence', D]),
  }));

  // --- Layers ------------------------------------------------------------------------------
  // ImageGPTLayerNorm: x / sqrt(mean(x²) + eps) * w — no centring, no bias.
  const layerNorm = (x: string, w: string, out?: string) => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.floatConstant(eps)])]);
    return g.op('Mul', [g.op('Div', [x, rms]), weight(w)], {}, out);
  };
  // HF's Conv1D: x @ W + b with W stored [in, out].
  const conv1d = (x: string, w: string) =>
    g.op('Add', [g.op('MatMul', [x, weight(`${w}.weight`)]), weight(`${w}.bias`)]);

  const masks = attentionMasks(g, inputIds, attentionMask, past[0]?.key);

  const attn = (x: string, layer: number, p: string) => {
    const [q, k, v] = g.opN('Split', [conv1d(x, `${p}c_attn`), g.int64s([C, C, C])], 3, { axis: 2 }) as [
      string,
      string,
      string,
    ];
    // [B,T,C] -> [B,H,T,D]
    const heads = (t: string) =>
      g.op('Transpose', [g.op('Reshape', [t, g.int64s([0, 0, H, D])])], { perm: [0, 2, 1, 3] });
    const pastKV = past[layer] as { key: string; value: string };
    const key = g.op('Concat', [pastKV.key, heads(k)], { axis: 2 }, `present.${layer}.key`);
    const value = g.op('Concat', [pastKV.value, heads(v)], { axis: 2 }, `present.${layer}.value`);
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
    scores = g.op('Where', [masks.hidden, g.floatConstant(FLOAT32_MIN), scores]);
    scores = g.op('Add', [scores, masks.padding]);
    const mixed = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), value]);
    const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.int64s([0, 0, C])]);
    return conv1d(merged, `${p}c_proj`);
  };

  const mlp = (x: string, p: string) =>
    conv1d(activation(g, config.activationFunction, conv1d(x, `${p}c_fc`)), `${p}c_proj`);

  // --- The model ---------------------------------------------------------------------------
  const tokens = g.op('Gather', [weight(`${prefix}wte.weight`), inputIds], { axis: 0 });
  const positions = g.op('Gather', [weight(`${prefix}wpe.weight`), positionIds], { axis: 0 });
  let h = g.op('Add', [tokens, positions], {}, hiddenName(0));
  for (let i = 0; i < nLayer; i++) {
    const p = `${prefix}h.${i}.`;
    h = g.scoped(`h.${i}`, () => {
      const afterAttn = g.op('Add', [h, attn(layerNorm(h, `${p}ln_1.weight`), i, `${p}attn.`)]);
      // HF's hidden_states[i+1] is block i's output, except the last entry, which comes after ln_f.
      return g.op(
        'Add',
        [afterAttn, mlp(layerNorm(afterAttn, `${p}ln_2.weight`), `${p}mlp.`)],
        {},
        i < nLayer - 1 ? hiddenName(i + 1) : undefined,
      );
    });
  }
  const last = layerNorm(h, `${prefix}ln_f.weight`, 'last_hidden_state');

  // --- Head --------------------------------------------------------------------------------
  // nn.Linear weights are [out, in]; transposed once here so every product is x @ W[in, out].
  const linearT = (name: string) => {
    const [rows, cols] = checkpoint.get(name).shape as [number, number];
    return g.addInitializer(`${name}.T`, [cols, rows], transpose(checkpoint.float32(name), rows, cols));
  };
  if (head === 'causal') {
    g.op('MatMul', [last, linearT('lm_head.weight')], {}, 'logits');
    g.output('logits', F32, ['batch', 'sequence', V - 1]);
  } else if (head === 'classifier') {
    // Mean over ALL positions, padding included, as HF does.
    const pooled = g.op('ReduceMean', [last], { axes: [1], keepdims: 0 }, 'pooled');
    g.op('MatMul', [pooled, linearT('score.weight')], {}, 'logits');
    g.output('logits', F32, ['batch', config.numLabels]);
    g.output('pooled', F32, ['batch', C]);
  }
  for (let i = 0; i < nLayer; i++) {
    g.output(`present.${i}.key`, F32, ['batch', H, 'total_sequence', D]);
    g.output(`present.${i}.value`, F32, ['batch', H, 'total_sequence', D]);
  }
  g.output('last_hidden_state', F32, ['batch', 'sequence', C]);
  if (outputHiddenStates) {
    g.op('Identity', [last], {}, `hidden_states.${nLayer}`);
    for (let i = 0; i <= nLayer; i++) g.output(`hidden_states.${i}`, F32, ['batch', 'sequence', C]);
  }

  return g.toArtifact({
    ...(options.externalDataThreshold === undefined
      ? {}
      : { externalDataThreshold: options.externalDataThreshold }),
    docString: `ImageGPT (${head}) built by imagegpt-ts from ${checkpoint.source}`,
    metadata: { head, n_layer: String(nLayer), n_embd: String(C), vocab_size: String(V) },
  });
}

/**
 * The two masks every layer shares. `hidden` [T, P+T] is true where key j lies after query i's
 * absolute position P+i; `padding` [B,1,1,P+T] is (1 − attention_mask) · finfo.min.
 */
function attentionMasks(
  g: GraphBuilder,
  inputIds: string,
  attentionMask: string,
  pastKey: string | undefined,
) {
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
    const padding = g.op('Unsqueeze', [bias, g.int64s([1, 2])]);
    return { hidden, padding };
  });
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}
