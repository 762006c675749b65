import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import type { Checkpoint } from '../checkpoint/index.js';
import { DEFAULT_QUANT_BLOCK_SIZE, type ModelDType } from '../quantize/weight-dtype.js';
import { checkImageGPTWeights } from './expected-weights.js';
import type { GraphBuilder } from './graph-builder.js';
import { checkpointInitializer, type LinearLayer, linearLayer } from './linear-layer.js';

/** A checkpoint's weights as a graph uses them. */
export interface ModelWeights {
  /** The trunk's name prefix: `transformer.` for HF's head models, '' for a bare `ImageGPTModel` save. */
  readonly prefix: string;
  /** The checkpoint tensor `name` as a float32 initializer, whatever the dtype (norms, embeddings, biases). */
  tensor(name: string): string;
  /** `x @ W` for a checkpoint matrix, stored in the graph's dtype. */
  readonly linear: LinearLayer;
  /** HF's Conv1D `{name}`: `x @ W + b` with W stored [in, out], as a product then an Add. */
  conv1d(x: string, name: string): string;
}

/**
 * Checks that `checkpoint` holds exactly this config's and head's weights (a `CheckpointError`
 * otherwise) and returns them ready for `g`: matrices in `dtype` storage (q8/q4 in blocks of
 * `blockSize`), everything else float32.
 */
export function modelWeights(
  g: GraphBuilder,
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: { readonly head: ModelHead; readonly dtype?: ModelDType; readonly blockSize?: number },
): ModelWeights {
  const prefix = checkImageGPTWeights(config, checkpoint, options.head);
  const tensor = (name: string) => checkpointInitializer(g, checkpoint, name, checkpoint.get(name).shape);
  const linear = linearLayer(
    g,
    checkpoint,
    options.dtype ?? 'fp32',
    options.blockSize ?? DEFAULT_QUANT_BLOCK_SIZE,
  );
  return {
    prefix,
    tensor,
    linear,
    conv1d: (x, name) => g.op('Add', [linear(x, `${name}.weight`), tensor(`${name}.bias`)]),
  };
}
