import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import { Checkpoint } from '../../checkpoint/index.js';
import { expectedImageGPTWeights } from '../../graph/expected-weights.js';

/** Every weight the config's graph needs, all zeros: enough for bookkeeping tests on a fake backend. */
export function zeroCheckpoint(config: ImageGPTConfig, head: ModelHead = 'causal'): Checkpoint {
  return new Checkpoint(
    expectedImageGPTWeights(config, head).map(({ name, shape }) => ({
      name,
      dtype: 'F32' as const,
      shape,
      bytes: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)),
    })),
    { source: 'zeros' },
  );
}
