import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import type { GraphBuilder } from './graph-builder.js';
import type { ModelWeights } from './model-weights.js';

const F32 = OnnxDataType.FLOAT;

/** `x` [B,T,…] cut to each row's last position [B,1,…]: all that next-token logits need. */
export function lastPosition(g: GraphBuilder, x: string): string {
  return g.op('Slice', [x, g.int64s([-1]), g.int64s([2 ** 53 - 1]), g.int64s([1])]);
}

/**
 * The head on the trunk's output `last` [B,T,C] (after ln_f), with its graph outputs: `causal`
 * gives `logits` [B,T,V−1] ([B,1,V−1] when `lastOnly`), `classifier` gives `logits`
 * [B,num_labels] and `pooled` [B,C], `base` adds nothing.
 */
export function modelHead(
  g: GraphBuilder,
  config: ImageGPTConfig,
  w: ModelWeights,
  head: ModelHead,
  last: string,
  lastOnly: boolean,
): void {
  // nn.Linear weights are [out, in]; transposed once here so every product is x @ W[in, out].
  if (head === 'causal') {
    w.linear(last, 'lm_head.weight', { transposed: true, output: 'logits' });
    g.output('logits', F32, ['batch', lastOnly ? 1 : 'sequence', config.vocabSize - 1]);
  } else if (head === 'classifier') {
    // Mean over ALL positions, padding included, as HF does.
    const pooled = g.op('ReduceMean', [last], { axes: [1], keepdims: 0 }, 'pooled');
    // The classifier's score matrix is tiny and its output is the task: keep it exact.
    w.linear(pooled, 'score.weight', { transposed: true, output: 'logits', exact: true });
    g.output('logits', F32, ['batch', config.numLabels]);
    g.output('pooled', F32, ['batch', config.nEmbd]);
  }
}

/** HF's `hidden_states[i]` as a graph output name when hidden states are asked for. */
export function hiddenStateNames(outputHiddenStates: boolean): (i: number) => string | undefined {
  return (i) => (outputHiddenStates ? `hidden_states.${i}` : undefined);
}

/** Declares `present.{i}.key` / `.value` [B,H,P+T,D] for every layer (the values must exist). */
export function presentOutputs(g: GraphBuilder, config: ImageGPTConfig): void {
  const { nHead: H, headDim: D } = config;
  for (let i = 0; i < config.nLayer; i++) {
    g.output(`present.${i}.key`, F32, ['batch', H, 'total_sequence', D]);
    g.output(`present.${i}.value`, F32, ['batch', H, 'total_sequence', D]);
  }
}

/**
 * Declares `last_hidden_state` and, if asked, `hidden_states.0 … hidden_states.{n_layer}`: the
 * blocks name `hidden_states.0 … n_layer−1` as they go; HF's last entry is `last`, after ln_f.
 */
export function hiddenStateOutputs(
  g: GraphBuilder,
  config: ImageGPTConfig,
  last: string,
  options: { readonly lastOnly: boolean; readonly outputHiddenStates: boolean },
): void {
  g.output('last_hidden_state', F32, ['batch', options.lastOnly ? 1 : 'sequence', config.nEmbd]);
  if (!options.outputHiddenStates) return;
  g.op('Identity', [last], {}, `hidden_states.${config.nLayer}`);
  for (let i = 0; i <= config.nLayer; i++)
    g.output(`hidden_states.${i}`, F32, ['batch', 'sequence', config.nEmbd]);
}

/** Declares `attentions.{i}` [B,H,T,P+T] for every layer (the blocks name the values). */
export function attentionOutputs(g: GraphBuilder, config: ImageGPTConfig): void {
  for (let i = 0; i < config.nLayer; i++)
    g.output(`attentions.${i}`, F32, ['batch', config.nHead, 'sequence', 'total_sequence']);
}
