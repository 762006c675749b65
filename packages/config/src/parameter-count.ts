import type { ImageGPTConfig } from './imagegpt-config.js';

/**
 * Which model sits on the trunk, and so which weights it has: `causal`
 * (ImageGPTForCausalImageModeling) adds `lm_head` (vocab − 1 rows, SOS is never predicted, so its
 * logits are over the V − 1 colours), `classifier` (ImageGPTForImageClassification) adds `score`
 * (one row per label), `base` (ImageGPTModel) is the bare transformer.
 */
export type ModelHead = 'causal' | 'classifier' | 'base';

/**
 * Number of weights in the HF state dict of an ImageGPT model with this config (nothing is tied,
 * and the attention mask buffers are not weights).
 *
 * @example
 * parameterCount(ImageGPTConfig.preset('small')); // 76_682_240
 */
export function parameterCount(config: ImageGPTConfig, head: ModelHead = 'causal'): number {
  const { vocabSize: V, nPositions: P, nEmbd: C, innerSize: I, nLayer: L, numLabels } = config;
  const attention = C * 3 * C + 3 * C + (C * C + C); // c_attn, c_proj (Conv1D weight + bias)
  const mlp = C * I + I + (I * C + C); // c_fc, c_proj
  const block = C + attention + C + mlp; // ln_1 and ln_2 have weights only
  const heads = { causal: (V - 1) * C, classifier: numLabels * C, base: 0 };
  return V * C + P * C + L * block + C + heads[head];
}
