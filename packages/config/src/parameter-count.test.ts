import { readFileSync } from 'node:fs';
import { sharedPath } from '@imagegpt/test-kit';
import { readCheckpointFile } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { ImageGPTConfig } from './imagegpt-config.js';
import { parameterCount } from './parameter-count.js';

const load = (dir: 'golden' | 'models', name: string) =>
  ImageGPTConfig.parse(readFileSync(sharedPath(dir, name, 'config.json'), 'utf8'));
/** Elements of every tensor in the folder's model.safetensors, read with core's reader. */
const weightsIn = (dir: 'golden' | 'models', name: string) => {
  const weights = readCheckpointFile(sharedPath(dir, name, 'model.safetensors'));
  return weights
    .names()
    .reduce((sum, tensor) => sum + weights.get(tensor).shape.reduce((a, b) => a * b, 1), 0);
};

describe('parameterCount', () => {
  it('matches the formula worked by hand for tiny-causal (V 17, P 64, C 32, 2 layers, I 128)', () => {
    const wte = 17 * 32;
    const wpe = 64 * 32;
    const block = 32 + (32 * 96 + 96) + (32 * 32 + 32) + 32 + (32 * 128 + 128) + (128 * 32 + 32);
    const lmHead = 16 * 32;
    const byHand = wte + wpe + 2 * block + 32 + lmHead;
    expect(byHand).toBe(28_416);
    expect(parameterCount(load('golden', 'tiny-causal'))).toBe(byHand);
    expect(load('golden', 'tiny-causal').parameterCount('base')).toBe(byHand - lmHead);
  });

  it.each([
    ['golden', 'tiny-causal', 'causal'],
    ['golden', 'tiny-classify', 'classifier'],
    ['golden', 'small-causal', 'causal'],
    ['models', 'igpt-mnist-16', 'causal'],
    ['models', 'igpt-mnist-16-classifier', 'classifier'],
  ] as const)('equals the elements in %s/%s/model.safetensors (%s head)', (dir, name, head) => {
    expect(load(dir, name).parameterCount(head)).toBe(weightsIn(dir, name));
  });

  it('gives the sizes OpenAI published: 76M, 455M, 1.4B', () => {
    expect(ImageGPTConfig.preset('small').parameterCount()).toBe(76_682_240);
    expect(Math.round(ImageGPTConfig.preset('medium').parameterCount() / 1e6)).toBe(455);
    expect(Math.round(ImageGPTConfig.preset('large').parameterCount() / 1e8)).toBe(14);
  });

  it('counts one score row per label for the classifier', () => {
    const base = ImageGPTConfig.preset('small').parameterCount('base');
    expect(ImageGPTConfig.preset('small', { num_labels: 10 }).parameterCount('classifier')).toBe(
      base + 10 * 512,
    );
  });

  it('uses n_inner for the MLP when given', () => {
    const wide = ImageGPTConfig.preset('small', { n_inner: 4096 });
    const extra = 24 * (512 * 2048 + 2048 + 2048 * 512); // c_fc weight + bias, c_proj weight, per layer
    expect(wide.parameterCount()).toBe(76_682_240 + extra);
  });
});
