import type { GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';

/** Emits one layer norm over the last axis with the checkpoint weight `name`; returns the output name. */
export type LayerNorm = (x: string, name: string, output?: string) => string;

/**
 * ImageGPTLayerNorm in standard ops: `x / sqrt(mean(x²) + eps) * w`, no centring and no bias, in
 * HF's order of operations.
 */
export function layerNorm(g: GraphBuilder, w: ModelWeights, eps: number): LayerNorm {
  return (x, name, output) => {
    const meanSquare = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.floatConstant(eps)])]);
    return g.op('Mul', [g.op('Div', [x, rms]), w.tensor(name)], {}, output);
  };
}
