import type { ImageGPTConfig } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import { DEFAULT_QUANT_BLOCK_SIZE, type ModelDType } from '../quantize/weight-dtype.js';
import { activation } from './activation.js';
import { checkImageGPTWeights } from './expected-weights.js';
import { floatAttr, GraphBuilder } from './graph-builder.js';
import type { HeadKind } from './head-kind.js';
import { linearLayer } from './linear-layer.js';

/**
 * Which attention the graph uses. `reference` is HF's arithmetic in standard ONNX ops (masks,
 * padding, any cache length): the graph the goldens and `igpt conformance` check. `fast` is for
 * decoding: the KV cache lives in caller-owned buffers of a fixed capacity that are fed without a
 * copy, and only the new tokens' keys and values come back; norms, residual adds and QuickGelu use
 * ONNX Runtime's fused kernels. It has no attention mask (every position is real). `fused` is for
 * whole sequences (prefill, features): the same fused kernels, with causal attention in one
 * GroupQueryAttention kernel per layer; no past, no mask, but `present.*` and hidden states.
 */
export type AttentionKind = 'reference' | 'fast' | 'fused';

/** Options of {@link buildImageGPTGraph}. */
export interface ImageGPTGraphOptions {
  readonly head: HeadKind;
  /** Also output `hidden_states.0 … hidden_states.{n_layer}` (HF's `output_hidden_states`). */
  readonly outputHiddenStates?: boolean;
  /** Weight bytes above which weights go to ONNX external data (default just under 2 GiB). */
  readonly externalDataThreshold?: number;
  /** File name of the external data, relative to the model (default `model.onnx.data`). */
  readonly externalDataPath?: string;
  /**
   * KV-cache inputs `past_key_values.{i}.*` and outputs `present.{i}.*` (default true). Without them
   * the graph is a plain single pass over whole sequences. Not used by the fast graph.
   */
  readonly withPast?: boolean;
  /** How the matrix weights are stored (default `fp32`); see {@link ModelDType}. */
  readonly dtype?: ModelDType;
  /** Quantization block size for `q8` / `q4` (default 32). */
  readonly blockSize?: number;
  /** `reference` (default) or `fast`; see {@link AttentionKind}. */
  readonly attention?: AttentionKind;
  /** Which positions get logits (causal head): `all` (default) or only the `last` of each row. */
  readonly logits?: 'all' | 'last';
}

/** torch.finfo(torch.float32).min: HF masks with it, not with −inf. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * Builds HF's ImageGPT as one ONNX model (opset 17) over the checkpoint's weights.
 *
 * Reference graph inputs: `input_ids` [B,T] int64, `attention_mask` [B,P+T] int64, `position_ids`
 * [B,T] int64 and, per layer i, `past_key_values.{i}.key` / `.value` [B,H,P,D] float32 (P may be 0).
 * Outputs: `logits` ([B,T,V−1] causal, [B,num_labels] classifier, none for base), `pooled` [B,C]
 * (classifier), `present.{i}.key` / `.value` [B,H,P+T,D], `last_hidden_state` [B,T,C] and, if asked,
 * `hidden_states.{0..n_layer}`.
 *
 * The fast graph (`attention: 'fast'`) has `input_ids`, `position_ids`, `cache_bias` [1,1,1,S]
 * float32 (0 for filled cache slots, finfo.min for empty ones) and per layer `cache.{i}.key_t`
 * [B,H,D,S] (keys transposed) and `cache.{i}.value` [B,H,S,D], where S is the buffers' capacity. Its
 * outputs are `logits`, `last_hidden_state` and this call's `new.{i}.key_t` [B,H,D,T] and
 * `new.{i}.value` [B,H,T,D], which the caller appends to its buffers. Onnxruntime-node copies every
 * output back to JS, so a cache that came back as an output would be copied whole on each step;
 * as an input it is read in place.
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
  const { head, outputHiddenStates = false, dtype = 'fp32', attention = 'reference' } = options;
  const fast = attention === 'fast';
  const fused = attention === 'fused';
  // Both non-reference kinds share the fused norms, QuickGelu and the 2-D trunk.
  const fastKernels = fast || fused;
  if (fast && outputHiddenStates)
    throw new Error(
      'buildImageGPTGraph: the fast graph has no hidden_states outputs; use attention: "reference"',
    );
  const withPast = !fastKernels && options.withPast !== false;
  // GroupQueryAttention returns each layer's keys and values as [B,H,T,D]: HF's present.
  const presents = fused && options.withPast !== false;
  const lastOnly = options.logits === 'last';
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
  const attentionMask = fastKernels ? '' : g.input('attention_mask', I64, ['batch', 'total_sequence']);
  const positionIds = g.input('position_ids', I64, ['batch', 'sequence']);
  const cacheBias = fast ? g.input('cache_bias', F32, [1, 1, 1, 'capacity']) : '';
  const cache = fast
    ? Array.from({ length: nLayer }, (_, i) => ({
        keyT: g.input(`cache.${i}.key_t`, F32, ['batch', H, D, 'capacity']),
        value: g.input(`cache.${i}.value`, F32, ['batch', H, 'capacity', D]),
      }))
    : [];
  const past = withPast
    ? Array.from({ length: nLayer }, (_, i) => ({
        key: g.input(`past_key_values.${i}.key`, F32, ['batch', H, 'past_sequence', D]),
        value: g.input(`past_key_values.${i}.value`, F32, ['batch', H, 'past_sequence', D]),
      }))
    : [];

  // --- Layers ------------------------------------------------------------------------------
  // ImageGPTLayerNorm: x / sqrt(mean(x²) + eps) * w — no centring, no bias. The fast graph uses the
  // runtime's fused kernel (x · 1/sqrt(…), a rounding apart), which it further fuses with the residual add.
  const layerNorm = (x: string, w: string, out?: string) => {
    if (fastKernels)
      return g.op('SimplifiedLayerNormalization', [x, weight(w)], { axis: -1, epsilon: floatAttr(eps) }, out);
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.floatConstant(eps)])]);
    return g.op('Mul', [g.op('Div', [x, rms]), weight(w)], {}, out);
  };
  const linear = linearLayer(g, checkpoint, dtype, options.blockSize ?? DEFAULT_QUANT_BLOCK_SIZE);
  // HF's Conv1D: x @ W + b with W stored [in, out].
  const conv1d = (x: string, w: string) => g.op('Add', [linear(x, `${w}.weight`), weight(`${w}.bias`)]);

  const masks = fastKernels ? undefined : attentionMasks(g, inputIds, attentionMask, past[0]?.key);

  // Scores are q·kᵀ / sqrt(D) (/ (layer+1)): as one factor for the fused kernel.
  const scoreScale = (layer: number) =>
    (config.scaleAttnWeights ? 1 / Math.sqrt(D) : 1) / (config.scaleAttnByInverseLayerIdx ? layer + 1 : 1);

  // The fast graph keeps activations 2-D [B·T, C] so each Conv1D is one Gemm (product and bias),
  // reshaping to [B,T,3C] only for the attention kernel.
  const gemm = (x: string, w: string) => linear(x, `${w}.weight`, { bias: weight(`${w}.bias`) });
  const rowsShape = fastKernels
    ? g.op('Concat', [g.op('Shape', [inputIds]), g.int64s([-1])], { axis: 0 })
    : '';
  const qkvShape = fast ? g.op('Concat', [g.op('Shape', [inputIds]), g.int64s([3 * H, D])], { axis: 0 }) : '';
  // c_attn with the score scale folded into its query columns, so q arrives pre-scaled (1/√D is a
  // power of two for the usual head sizes, which makes the fold exact).
  const scaledQkv = (x: string, w: string, layer: number) => {
    const scale = scoreScale(layer);
    const weights = Float32Array.from(checkpoint.float32(`${w}.weight`));
    const bias = Float32Array.from(checkpoint.float32(`${w}.bias`));
    for (let r = 0; r < C; r++)
      for (let c = 0; c < C; c++) weights[r * 3 * C + c] = (weights[r * 3 * C + c] as number) * scale;
    for (let c = 0; c < C; c++) bias[c] = (bias[c] as number) * scale;
    return linear(x, `${w}.weight`, { values: weights, bias: g.addInitializer(`${w}.bias`, [3 * C], bias) });
  };
  // Scores of the new tokens among themselves: causal, finfo.min above the diagonal ([T,T], shared).
  const newBias = fast
    ? g.scoped('mask', () => {
        const seq = g.op('Squeeze', [g.op('Shape', [inputIds], { start: 1, end: 2 }), g.int64s([0])]);
        const idx = g.op('Range', [g.int64(0), seq, g.int64(1)]);
        const hidden = g.op('Less', [
          g.op('Unsqueeze', [idx, g.int64s([1])]),
          g.op('Unsqueeze', [idx, g.int64s([0])]),
        ]);
        return g.op('Where', [hidden, g.floatConstant(FLOAT32_MIN), g.floatConstant(0)]);
      })
    : '';
  // The softmax runs over [cache slots ‖ new tokens]; these are the two parts' sizes [S, T].
  const splitSizes = fast
    ? g.op(
        'Concat',
        [
          g.op('Shape', [(cache[0] as { value: string }).value], { start: 2, end: 3 }),
          g.op('Shape', [inputIds], { start: 1, end: 2 }),
        ],
        { axis: 0 },
      )
    : '';
  const fastAttn = (x: string, layer: number, p: string) => {
    const buffers = cache[layer] as { keyT: string; value: string };
    // [B·T,3C] -> [B,3H,T,D] -> q, k, v as [B,H,T,D]
    const heads = g.op('Transpose', [g.op('Reshape', [scaledQkv(x, `${p}c_attn`, layer), qkvShape])], {
      perm: [0, 2, 1, 3],
    });
    const [scaled, k, v] = g.opN('Split', [heads, g.int64s([H, H, H])], 3, { axis: 1 }, [
      `h.${layer}.attn.q`,
      `h.${layer}.attn.k`,
      `new.${layer}.value`,
    ]) as [string, string, string];
    const keyT = g.op('Transpose', [k], { perm: [0, 1, 3, 2] }, `new.${layer}.key_t`);
    const scores = g.op(
      'Concat',
      [
        g.op('Add', [g.op('MatMul', [scaled, buffers.keyT]), cacheBias]),
        g.op('Add', [g.op('MatMul', [scaled, keyT]), newBias]),
      ],
      { axis: -1 },
    );
    const [pCache, pNew] = g.opN('Split', [g.op('Softmax', [scores], { axis: -1 }), splitSizes], 2, {
      axis: -1,
    }) as [string, string];
    const mixed = g.op('Add', [g.op('MatMul', [pCache, buffers.value]), g.op('MatMul', [pNew, v])]);
    const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.int64s([-1, C])]);
    return gemm(merged, `${p}c_proj`);
  };

  // Causal self-attention over whole sequences in one kernel: GroupQueryAttention with packed q|k|v,
  // no past and as many key heads as query heads, never materialising [B,H,T,T] scores.
  const lengths = fused
    ? g.scoped('lengths', () => {
        const seq = g.op('Shape', [inputIds], { start: 1, end: 2 });
        const rows = g.op('Shape', [inputIds], { start: 0, end: 1 });
        const last = g.op('Expand', [g.op('Sub', [seq, g.int64s([1])]), rows]);
        return {
          seqlensK: g.op('Cast', [last], { to: OnnxDataType.INT32 }),
          total: g.op('Cast', [g.op('Squeeze', [seq, g.int64s([0])])], { to: OnnxDataType.INT32 }),
        };
      })
    : undefined;
  const fusedAttn = (x: string, layer: number, p: string) => {
    const { seqlensK, total } = lengths as { seqlensK: string; total: string };
    const qkv = g.op('Reshape', [gemm(x, `${p}c_attn`), rowsShape]);
    const [out] = g.contribOp(
      'GroupQueryAttention',
      [qkv, '', '', '', '', seqlensK, total],
      3,
      { num_heads: H, kv_num_heads: H, scale: floatAttr(scoreScale(layer)) },
      [`h.${layer}.attn.out`, `present.${layer}.key`, `present.${layer}.value`],
    );
    return gemm(g.op('Reshape', [out as string, g.int64s([-1, C])]), `${p}c_proj`);
  };

  const attn = (x: string, layer: number, p: string) => {
    const [q, k, v] = g.opN('Split', [conv1d(x, `${p}c_attn`), g.int64s([C, C, C])], 3, { axis: 2 }) as [
      string,
      string,
      string,
    ];
    // [B,T,C] -> [B,H,T,D]
    const heads = (t: string) =>
      g.op('Transpose', [g.op('Reshape', [t, g.int64s([0, 0, H, D])])], { perm: [0, 2, 1, 3] });
    const pastKV = past[layer];
    const key =
      pastKV === undefined
        ? heads(k)
        : g.op('Concat', [pastKV.key, heads(k)], { axis: 2 }, `present.${layer}.key`);
    const value =
      pastKV === undefined
        ? heads(v)
        : g.op('Concat', [pastKV.value, heads(v)], { axis: 2 }, `present.${layer}.value`);
    const { hidden, padding } = masks as { hidden: string; padding: string };
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
    scores = g.op('Where', [hidden, g.floatConstant(FLOAT32_MIN), scores]);
    scores = g.op('Add', [scores, padding]);
    const mixed = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), value]);
    const merged = g.op('Reshape', [g.op('Transpose', [mixed], { perm: [0, 2, 1, 3] }), g.int64s([0, 0, C])]);
    return conv1d(merged, `${p}c_proj`);
  };

  // The fast graph runs quick_gelu as one fused kernel (x·sigmoid(1.702x), the same formula).
  const act = (x: string) =>
    fastKernels && config.activationFunction === 'quick_gelu'
      ? (g.contribOp('QuickGelu', [x], 1, { alpha: floatAttr(1.702) })[0] as string)
      : activation(g, config.activationFunction, x);
  const mlp = (x: string, p: string) => conv1d(act(conv1d(x, `${p}c_fc`)), `${p}c_proj`);

  // --- The model ---------------------------------------------------------------------------
  const tokens = g.op('Gather', [weight(`${prefix}wte.weight`), inputIds], { axis: 0 });
  const positions = g.op('Gather', [weight(`${prefix}wpe.weight`), positionIds], { axis: 0 });
  let h = g.op('Add', [tokens, positions], {}, hiddenName(0));
  const last = fastKernels ? fastTrunk() : referenceTrunk();

  function referenceTrunk(): string {
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
    // Only the last position feeds the next-token logits while decoding: slice before ln_f and lm_head.
    if (lastOnly) h = g.op('Slice', [h, g.int64s([-1]), g.int64s([2 ** 53 - 1]), g.int64s([1])]);
    return layerNorm(h, `${prefix}ln_f.weight`, 'last_hidden_state');
  }

  // The same blocks, with each residual add fused into the next norm: SkipSimplifiedLayerNormalization
  // returns both norm(x + y) and the sum x + y that carries on as the residual stream.
  function fastTrunk(): string {
    const skipNorm = (y: string, x: string, w: string) => {
      const [normed, , , sum] = g.contribOp('SkipSimplifiedLayerNormalization', [y, x, weight(w)], 4, {
        epsilon: floatAttr(eps),
      });
      return { normed: normed as string, sum: sum as string };
    };
    // HF's hidden_states[i] for 0 < i < n_layer: the residual stream, back in [B,T,C].
    const hidden = (t: string, i: number) => {
      const name = hiddenName(i);
      if (name !== undefined) g.op('Reshape', [t, rowsShape], {}, name);
    };
    let x = g.op('Reshape', [h, g.int64s([-1, C])]);
    let normed = layerNorm(x, `${prefix}h.0.ln_1.weight`);
    let mlpOut = '';
    for (let i = 0; i < nLayer; i++) {
      const p = `${prefix}h.${i}.`;
      g.scoped(`h.${i}`, () => {
        const attnOut = fused ? fusedAttn(normed, i, `${p}attn.`) : fastAttn(normed, i, `${p}attn.`);
        const afterAttn = skipNorm(attnOut, x, `${p}ln_2.weight`);
        mlpOut = gemm(act(gemm(afterAttn.normed, `${p}mlp.c_fc`)), `${p}mlp.c_proj`);
        x = afterAttn.sum;
        if (i < nLayer - 1) {
          const next = skipNorm(mlpOut, x, `${prefix}h.${i + 1}.ln_1.weight`);
          normed = next.normed;
          x = next.sum;
          hidden(x, i + 1);
        }
      });
    }
    // Back to [B,T,C]; when decoding only each row's last position goes on to ln_f and lm_head.
    const rows = (t: string) => {
      const t3 = g.op('Reshape', [t, rowsShape]);
      return lastOnly ? g.op('Slice', [t3, g.int64s([-1]), g.int64s([2 ** 53 - 1]), g.int64s([1])]) : t3;
    };
    const [final] = g.contribOp(
      'SkipSimplifiedLayerNormalization',
      [rows(mlpOut), rows(x), weight(`${prefix}ln_f.weight`)],
      1,
      { epsilon: floatAttr(eps) },
      ['last_hidden_state'],
    );
    return final as string;
  }

  // --- Head --------------------------------------------------------------------------------
  // nn.Linear weights are [out, in]; transposed once here so every product is x @ W[in, out].
  if (head === 'causal') {
    linear(last, 'lm_head.weight', { transposed: true, output: 'logits' });
    g.output('logits', F32, ['batch', lastOnly ? 1 : 'sequence', V - 1]);
  } else if (head === 'classifier') {
    // Mean over ALL positions, padding included, as HF does.
    const pooled = g.op('ReduceMean', [last], { axes: [1], keepdims: 0 }, 'pooled');
    // The classifier's score matrix is tiny and its output is the task: keep it exact.
    linear(pooled, 'score.weight', { transposed: true, output: 'logits', exact: true });
    g.output('logits', F32, ['batch', config.numLabels]);
    g.output('pooled', F32, ['batch', C]);
  }
  for (let i = 0; i < (presents ? nLayer : past.length); i++) {
    g.output(`present.${i}.key`, F32, ['batch', H, 'total_sequence', D]);
    g.output(`present.${i}.value`, F32, ['batch', H, 'total_sequence', D]);
  }
  for (let i = 0; i < cache.length; i++) {
    g.output(`new.${i}.key_t`, F32, ['batch', H, D, 'sequence']);
    g.output(`new.${i}.value`, F32, ['batch', H, 'sequence', D]);
  }
  g.output('last_hidden_state', F32, ['batch', lastOnly ? 1 : 'sequence', C]);
  if (outputHiddenStates) {
    g.op('Identity', [last], {}, `hidden_states.${nLayer}`);
    for (let i = 0; i <= nLayer; i++) g.output(`hidden_states.${i}`, F32, ['batch', 'sequence', C]);
  }

  return g.toArtifact({
    ...(options.externalDataThreshold === undefined
      ? {}
      : { externalDataThreshold: options.externalDataThreshold }),
    ...(options.externalDataPath === undefined ? {} : { externalDataPath: options.externalDataPath }),
    docString: `ImageGPT (${head}) built by imagegpt-ts from ${checkpoint.source}`,
    metadata: {
      head,
      n_layer: String(nLayer),
      n_embd: String(C),
      vocab_size: String(V),
      dtype,
      attention,
    },
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
