import type { ImageGPTConfig } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { buildDecodeGraph } from './decode-graph.js';
import type { GraphKind } from './graph-kind.js';
import { buildImageGPTGraph, type ImageGPTGraphOptions } from './imagegpt-graph.js';
import { buildPrefillGraph } from './prefill-graph.js';

// Kept for one release: `buildImageGPTGraph(…, { attention })` built all three graphs. The package
// root exports this wrapper as `buildImageGPTGraph` (its doc repeats the reference builder's, which
// the API reference cannot reach); when it goes, the root exports the reference builder
// (imagegpt-graph.ts) and its options directly.

/**
 * @deprecated Pick the builder instead: `reference` is {@link buildImageGPTGraph}, `fast` is
 * {@link buildDecodeGraph}, `fused` is {@link buildPrefillGraph}. Removed in the next minor release.
 */
export type AttentionKind = GraphKind;

/** Options of {@link buildImageGPTGraph}. */
export interface ImageGPTGraphOptionsWithAttention extends ImageGPTGraphOptions {
  /**
   * @deprecated Call {@link buildDecodeGraph} or {@link buildPrefillGraph} instead. Which graph to
   * build: `reference` (default), `fast` (as {@link buildDecodeGraph}: `withPast` is ignored and
   * `outputHiddenStates` refused) or `fused` (as {@link buildPrefillGraph}: `withPast` means its
   * `presents`). `logits` defaults to `all` for each.
   */
  readonly attention?: AttentionKind;
}

/**
 * HF's ImageGPT as one ONNX model (opset 17) in standard ops and HF's order of operations: the
 * reference graph, which the goldens and `igpt conformance` check.
 *
 * Inputs: `input_ids` [B,T] int64, `attention_mask` [B,P+T] int64, `position_ids` [B,T] int64 and,
 * per layer i, `past_key_values.{i}.key` / `.value` [B,H,P,D] float32 (P may be 0). Outputs:
 * `logits` ([B,T,V−1] causal, [B,num_labels] classifier, none for base), `pooled` [B,C]
 * (classifier), `present.{i}.key` / `.value` [B,H,P+T,D], `last_hidden_state` [B,T,C] and, if
 * asked, `hidden_states.{0..n_layer}` and `attentions.{0..n_layer−1}` [B,H,T,P+T].
 *
 * For one release the deprecated `attention` option still builds the decode graph (`fast`, see
 * {@link buildDecodeGraph}) or the prefill graph (`fused`, see {@link buildPrefillGraph}).
 *
 * @example
 * const artifact = buildImageGPTGraph(config, checkpoint, { head: 'causal' });
 * const session = await backend.createSession(artifact);
 */
export function buildImageGPTGraphWithAttention(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: ImageGPTGraphOptionsWithAttention,
): ModelArtifact {
  const {
    attention = 'reference',
    withPast,
    outputHiddenStates,
    outputAttentions,
    logits = 'all',
    ...common
  } = options;
  if (attention !== 'reference' && outputAttentions) {
    throw new Error(
      `buildImageGPTGraph: the ${attention} graph has no attentions outputs (its kernels never form them); use attention: "reference"`,
    );
  }
  switch (attention) {
    case 'reference':
      return buildImageGPTGraph(config, checkpoint, options);
    case 'fast':
      if (outputHiddenStates)
        throw new Error(
          'buildImageGPTGraph: the fast graph has no hidden_states outputs; use attention: "reference"',
        );
      return buildDecodeGraph(config, checkpoint, { ...common, logits });
    case 'fused':
      return buildPrefillGraph(config, checkpoint, {
        ...common,
        logits,
        presents: withPast !== false,
        outputHiddenStates: outputHiddenStates === true,
      });
  }
}
