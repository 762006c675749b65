import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import type { ModelArtifact } from '../backend/backend.js';
import type { Checkpoint } from '../checkpoint/index.js';
import type { ModelDType } from '../quantize/weight-dtype.js';
import { GraphBuilder, type WeightPlacement } from './graph-builder.js';
import { type ModelWeights, modelWeights } from './model-weights.js';

/** What every ImageGPT graph builder takes: the head on the trunk and how the weights are stored. */
export interface ModelGraphOptions {
  readonly head: ModelHead;
  /** How the matrix weights are stored (default `fp32`); see {@link ModelDType}. */
  readonly dtype?: ModelDType;
  /** Quantization block size for `q8` / `q4` (default 32). */
  readonly blockSize?: number;
  /**
   * How the weights travel (default `embedded`); a session wants `buffers` (no copy through the
   * protobuf writer). See {@link WeightPlacement}.
   */
  readonly weights?: WeightPlacement;
  /** Weight bytes above which embedded weights go to ONNX external data (default just under 2 GiB). */
  readonly externalDataThreshold?: number;
  /** File name of the external data, relative to the model (default `model.onnx.data`). */
  readonly externalDataPath?: string;
}

/** A graph under construction and the checkpoint's weights, checked against the config and head. */
export function startModelGraph(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: ModelGraphOptions,
): { g: GraphBuilder; w: ModelWeights } {
  const g = new GraphBuilder(`imagegpt_${options.head}`);
  return { g, w: modelWeights(g, config, checkpoint, options) };
}

/**
 * Serializes a finished graph. The metadata names the head, sizes, dtype and which graph this is
 * (`attention`: `reference`, `fast` for the decode graph, `fused` for the prefill graph).
 */
export function finishModelGraph(
  g: GraphBuilder,
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: ModelGraphOptions,
  attention: 'reference' | 'fast' | 'fused',
): ModelArtifact {
  const { head, dtype = 'fp32' } = options;
  return g.toArtifact({
    ...(options.weights === undefined ? {} : { weights: options.weights }),
    ...(options.externalDataThreshold === undefined
      ? {}
      : { externalDataThreshold: options.externalDataThreshold }),
    ...(options.externalDataPath === undefined ? {} : { externalDataPath: options.externalDataPath }),
    docString: `ImageGPT (${head}) built by imagegpt-ts from ${checkpoint.source}`,
    metadata: {
      head,
      n_layer: String(config.nLayer),
      n_embd: String(config.nEmbd),
      vocab_size: String(config.vocabSize),
      dtype,
      attention,
    },
  });
}
