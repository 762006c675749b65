import type { ModelHead } from '@imagegpt/config';
import type { Checkpoint } from '@imagegpt/core';
import { HeadsError } from './heads-error.js';

/** Which HF class a checkpoint of each head comes from, for messages. */
const CLASS_NAMES: Record<ModelHead, string> = {
  base: 'ImageGPTModel',
  causal: 'ImageGPTForCausalImageModeling',
  classifier: 'ImageGPTForImageClassification',
};

/**
 * Checks that `checkpoint` has the head tensor `head` needs, so that loading a classifier
 * folder into the causal class says which class to use instead of listing a missing tensor.
 * The backbone needs no check here: the graph builder accepts `transformer.*` and bare
 * `ImageGPTModel` keys and ignores another head's tensors.
 */
export function checkHeadWeights(checkpoint: Checkpoint, head: ModelHead): void {
  if (head === 'causal' && !checkpoint.has('lm_head.weight')) {
    throw new HeadsError(
      `has no lm_head.weight, which ${CLASS_NAMES.causal} needs${describeHead(checkpoint)}`,
      { source: checkpoint.source },
    );
  }
  if (head === 'classifier' && !checkpoint.has('score.weight')) {
    throw new HeadsError(
      `has no score.weight, which ${CLASS_NAMES.classifier} needs${describeHead(checkpoint)}`,
      { source: checkpoint.source },
    );
  }
}

function describeHead(checkpoint: Checkpoint): string {
  if (checkpoint.has('score.weight'))
    return ` (it has score.weight: load it with ${CLASS_NAMES.classifier} or ${CLASS_NAMES.base})`;
  if (checkpoint.has('lm_head.weight'))
    return ` (it has lm_head.weight: load it with ${CLASS_NAMES.causal} or ${CLASS_NAMES.base})`;
  return ` (it holds only the backbone: load it with ${CLASS_NAMES.base})`;
}
