import type { ImageGPTConfig } from '@imagegpt/config';
import type { ImageGPTImageProcessor } from '@imagegpt/processor';
import { HeadsError } from './heads-error.js';

/**
 * Refuses a processor whose colour clusters do not match the model's vocabulary (one token per
 * cluster, plus SOS): its ids would index the wrong colours, or colours that do not exist.
 * `source` names the processor's file for the message.
 */
export function checkProcessorMatches(
  config: ImageGPTConfig,
  processor: ImageGPTImageProcessor,
  source = 'processor',
): void {
  const k = processor.numClusters;
  if (k > 0 && k !== config.vocabSize - 1) {
    throw new HeadsError(
      `has ${k} colour clusters, but the model's vocab_size ${config.vocabSize} means ${config.vocabSize - 1} ` +
        '(one token per cluster, plus SOS): the processor belongs to another model',
      { source },
    );
  }
}
