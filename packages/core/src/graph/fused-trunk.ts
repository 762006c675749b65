import type { ImageGPTConfig } from '@imagegpt/config';
import { activation } from './activation.js';
import type { Attention } from './attention.js';
import { floatAttr, type GraphBuilder } from './graph-builder.js';
import { lastPosition } from './model-outputs.js';
import type { ModelWeights } from './model-weights.js';

/**
 * ONNX Runtime's fused kernels as the decode and prefill graphs use them, over activations kept 2-D
 * [B·T, C] so each Conv1D is one Gemm (product and bias).
 */
export interface FusedKernels {
  /** ImageGPTLayerNorm as SimplifiedLayerNormalization (x · 1/sqrt(…): a rounding apart from HF's x / sqrt(…)). */
  norm(x: string, name: string): string;
  /** `norm(x + y)` and the sum `x + y` in one SkipSimplifiedLayerNormalization. */
  skipNorm(y: string, x: string, name: string): { readonly normed: string; readonly sum: string };
  /** HF's Conv1D `{name}` as one Gemm (`x` must be 2-D). */
  gemm(x: string, name: string): string;
  /** The config's activation; quick_gelu (x·sigmoid(1.702x)) as the fused QuickGelu kernel. */
  act(x: string): string;
}

/** The {@link FusedKernels} of a graph. */
export function fusedKernels(g: GraphBuilder, config: ImageGPTConfig, w: ModelWeights): FusedKernels {
  const epsilon = floatAttr(config.layerNormEpsilon);
  return {
    norm: (x, name) => g.op('SimplifiedLayerNormalization', [x, w.tensor(name)], { axis: -1, epsilon }),
    skipNorm: (y, x, name) => {
      const [normed, , , sum] = g.contribOp('SkipSimplifiedLayerNormalization', [y, x, w.tensor(name)], 4, {
        epsilon,
      });
      return { normed: normed as string, sum: sum as string };
    },
    gemm: (x, name) => w.linear(x, `${name}.weight`, { bias: w.tensor(`${name}.bias`) }),
    act: (x) =>
      config.activationFunction === 'quick_gelu'
        ? (g.contribOp('QuickGelu', [x], 1, { alpha: floatAttr(1.702) })[0] as string)
        : activation(g, config.activationFunction, x),
  };
}

/** The shape [B, T, −1] that takes 2-D [B·T, …] activations back to rows. */
export function rowsShape(g: GraphBuilder, inputIds: string): string {
  return g.op('Concat', [g.op('Shape', [inputIds]), g.int64s([-1])], { axis: 0 });
}

/** Scores are q·kᵀ / sqrt(D) (/ (layer+1)): HF's scaling as the one factor a fused kernel takes. */
export function scoreScale(config: ImageGPTConfig, layer: number): number {
  const { headDim: D } = config;
  return (
    (config.scaleAttnWeights ? 1 / Math.sqrt(D) : 1) / (config.scaleAttnByInverseLayerIdx ? layer + 1 : 1)
  );
}

/** Options of {@link fusedTrunk}. */
export interface FusedTrunkOptions {
  /** {@link rowsShape} of the graph's input ids. */
  readonly rows: string;
  /** Only each row's last position goes on to ln_f (and the head). */
  readonly lastOnly: boolean;
  /** The graph output name of HF's `hidden_states[i]`, if any. */
  readonly hiddenName?: (i: number) => string | undefined;
}

/**
 * The blocks and ln_f over the embedding `h` [B,T,C] with the fused kernels: the same
 * `x + attn(ln_1(x))`, `x + mlp(ln_2(x))` as the reference, with each residual add folded into the
 * norm after it (SkipSimplifiedLayerNormalization returns both the normed sum and the sum, which
 * carries on as the residual stream). Returns `last_hidden_state` [B,T,C] ([B,1,C] when `lastOnly`).
 */
export function fusedTrunk(
  g: GraphBuilder,
  config: ImageGPTConfig,
  w: ModelWeights,
  kernels: FusedKernels,
  h: string,
  attn: Attention,
  options: FusedTrunkOptions,
): string {
  const { nLayer, nEmbd: C } = config;
  const { norm, skipNorm, gemm, act } = kernels;
  const layer = (i: number) => `${w.prefix}h.${i}.`;
  let x = g.op('Reshape', [h, g.int64s([-1, C])]);
  let normed = norm(x, `${layer(0)}ln_1.weight`);
  // Block i up to its MLP's output; the residual add after it is folded into the next norm.
  const block = (i: number) => {
    const afterAttn = skipNorm(attn(normed, i).output, x, `${layer(i)}ln_2.weight`);
    x = afterAttn.sum;
    return gemm(act(gemm(afterAttn.normed, `${layer(i)}mlp.c_fc`)), `${layer(i)}mlp.c_proj`);
  };
  for (let i = 0; i < nLayer - 1; i++) {
    g.scoped(`h.${i}`, () => {
      const mlpOut = block(i);
      ({ normed, sum: x } = skipNorm(mlpOut, x, `${layer(i + 1)}ln_1.weight`));
      // HF's hidden_states[i+1]: the residual stream, back in [B,T,C].
      const name = options.hiddenName?.(i + 1);
      if (name !== undefined) g.op('Reshape', [x, options.rows], {}, name);
    });
  }
  const mlpOut = g.scoped(`h.${nLayer - 1}`, () => block(nLayer - 1));
  // Back to [B,T,C]; when decoding only each row's last position goes on to ln_f and lm_head.
  const rows = (t: string) => {
    const t3 = g.op('Reshape', [t, options.rows]);
    return options.lastOnly ? lastPosition(g, t3) : t3;
  };
  const [final] = g.contribOp(
    'SkipSimplifiedLayerNormalization',
    [rows(mlpOut), rows(x), w.tensor(`${w.prefix}ln_f.weight`)],
    1,
    { epsilon: floatAttr(config.layerNormEpsilon) },
    ['last_hidden_state'],
  );
  return final as string;
}
