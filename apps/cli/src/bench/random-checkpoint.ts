import type { ImageGPTConfig } from '@imagegpt/config';
import { Checkpoint, type WeightTensor } from '@imagegpt/core';
import { expectedImageGPTWeights } from '@imagegpt/core/graph';
import { seededUniform } from './seeded.js';

/**
 * A causal ImageGPT checkpoint with random weights drawn from `seed`, scaled like the golden data's
 * recipe (norm weights near 1, matrices with std ≈ 1.2/√fan_in, embeddings std 0.5) so activations
 * stay O(1). Uniform draws keep generation fast; only the shapes matter for timing.
 */
export function randomImageGPTCheckpoint(config: ImageGPTConfig, seed: number): Checkpoint {
  const next = seededUniform(seed);
  const tensors: WeightTensor[] = expectedImageGPTWeights(config, 'causal').map(({ name, shape }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    const half = (std: number) => std * Math.sqrt(3); // U(−a, a) has std a/√3
    if (name.endsWith('ln_1.weight') || name.endsWith('ln_2.weight') || name.endsWith('ln_f.weight')) {
      for (let i = 0; i < count; i++) values[i] = 0.8 + 0.4 * next();
    } else {
      const fanIn = name.endsWith('.bias')
        ? 0
        : name.includes('wte') || name.includes('wpe')
          ? 0
          : ((name === 'lm_head.weight' ? shape[1] : shape[0]) as number);
      const a = name.endsWith('.bias') ? half(0.1) : fanIn === 0 ? half(0.5) : half(1.2 / Math.sqrt(fanIn));
      for (let i = 0; i < count; i++) values[i] = (2 * next() - 1) * a;
    }
    return { name, dtype: 'F32', shape: [...shape], bytes: new Uint8Array(values.buffer) };
  });
  return new Checkpoint(tensors, { source: `random iGPT weights (seed ${seed})` });
}
