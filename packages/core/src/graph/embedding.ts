import type { GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';

/** The input embedding `wte[input_ids] + wpe[position_ids]` [B,T,C]; `output` names the sum. */
export function embed(
  g: GraphBuilder,
  w: ModelWeights,
  inputIds: string,
  positionIds: string,
  output?: string,
): string {
  const tokens = g.op('Gather', [w.tensor(`${w.prefix}wte.weight`), inputIds], { axis: 0 });
  const positions = g.op('Gather', [w.tensor(`${w.prefix}wpe.weight`), positionIds], { axis: 0 });
  return g.op('Add', [tokens, positions], {}, output);
}
