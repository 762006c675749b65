import { ImageGPTConfig, parameterCount } from '@imagegpt/node';
import { describe, expect, it } from 'vitest';
import { cacheBytesAt, forwardFlops, matrixWeights, weightBytesPerStep } from './roofline.js';

const small = ImageGPTConfig.preset('small', { vocab_size: 513, n_positions: 1024 });

describe('roofline arithmetic', () => {
  it('reads every float32 weight once per decode step but one row of each embedding', () => {
    const { vocabSize: V, nPositions: P, nEmbd: C } = small;
    const unread = (V - 1) * C + (P - 1) * C;
    expect(weightBytesPerStep(small, 'fp32')).toBe(4 * (parameterCount(small, 'causal') - unread));
    // fp16 is widened when the session loads; q8 keeps a float32 scale and a zero point per 32 codes.
    expect(weightBytesPerStep(small, 'fp16')).toBe(weightBytesPerStep(small, 'fp32'));
    expect(weightBytesPerStep(small, 'fp32') - weightBytesPerStep(small, 'q8')).toBe(
      matrixWeights(small) * (4 - 37 / 32),
    );
    expect(matrixWeights(small)).toBe(24 * 12 * 512 * 512 + 512 * 512);
  });

  it('counts keys and values of every earlier position in the cache, and 2 FLOPs per weight per token', () => {
    expect(cacheBytesAt(small, 1, 0)).toBe(2 * 24 * 512 * 4);
    expect(cacheBytesAt(small, 4, 9)).toBe(4 * 10 * cacheBytesAt(small, 1, 0));
    expect(forwardFlops(small, 2, 1)).toBe(2 * (2 * matrixWeights(small) + 24 * 4 * 512));
  });
});
