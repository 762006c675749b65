import { readFileSync } from 'node:fs';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import {
  createNodeBackend,
  ImageGPTConfig,
  ImageGPTImageProcessor,
  MODEL_DTYPES,
  readSafetensors,
} from '@imagegpt/node';
import { goldenCaseDir } from '@imagegpt/test-kit';
import { describe, expect, it } from 'vitest';
import { heldOutDigits } from '../held-out-digits.js';
import { measureQuality } from './quality.js';

const embedded = (file: string) => readFileSync(new URL(file, mnistCausalUrl));

describe('bench quality section', () => {
  it('gives each dtype its bits per token and its logit error on the golden small-causal case', async () => {
    const config = ImageGPTConfig.parse(embedded('config.json').toString('utf8'));
    const processor = ImageGPTImageProcessor.parse(embedded('preprocessor_config.json').toString('utf8'));
    const quality = await measureQuality({
      backend: createNodeBackend({ threads: 1 }),
      config,
      checkpoint: readSafetensors(new Uint8Array(embedded('model.safetensors'))),
      heldOut: heldOutDigits(processor, config.sosTokenId)?.slice(0, 10),
      smallCausalDir: goldenCaseDir('small-causal'),
    });
    expect(quality.map((q) => q.dtype)).toEqual(MODEL_DTYPES);
    const errors = quality.map((q) => q.maxLogitErrorSmallCausal as number);
    // float32 matches HF within the golden tolerance; each smaller storage loses more.
    expect(errors[0]).toBeLessThan(1e-4);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeGreaterThan(errors[i - 1] as number);
    // Ten digits under a model that learnt MNIST: well under the 4 bits of a uniform 16-colour guess.
    expect(quality[0]?.bitsPerToken).toBeGreaterThan(0.1);
    expect(quality[0]?.bitsPerToken).toBeLessThan(2);
    expect(quality[0]?.relativeToFp32).toBe(1);
    expect(quality[2]?.relativeToFp32).toBeCloseTo(1, 1);
  }, 120_000);
});
