import { fileURLToPath } from 'node:url';
import { mnistCausalUrl, mnistClassifierUrl } from '@imagegpt/model-mnist-16';
import { describe, expect, it } from 'vitest';
import { ImageGPTForCausalImageModeling, ImageGPTForImageClassification, ImageGPTModel } from './index.js';

describe('fromPretrained (Node wiring)', () => {
  it('returns instances of the wired classes, from a path or a file: URL', async () => {
    const causal = await ImageGPTForCausalImageModeling.fromPretrained(mnistCausalUrl, { threads: 1 });
    const base = await ImageGPTModel.fromPretrained(fileURLToPath(mnistCausalUrl), { threads: 1 });
    const classifier = await ImageGPTForImageClassification.fromPretrained(mnistClassifierUrl, {
      threads: 1,
    });
    try {
      expect(causal).toBeInstanceOf(ImageGPTForCausalImageModeling);
      expect(base).toBeInstanceOf(ImageGPTModel);
      expect(classifier).toBeInstanceOf(ImageGPTForImageClassification);
      expect(causal.config.nLayer).toBe(4);
      expect(causal.processor?.numClusters).toBe(16);
      expect(Object.values(classifier.config.id2label)).toHaveLength(10);
      const { sequences } = await causal.generate({ maxLength: 17 });
      expect(sequences[0]).toHaveLength(17);
      expect(sequences[0]![0]).toBe(16);
    } finally {
      await Promise.all([causal.dispose(), base.dispose(), classifier.dispose()]);
    }
  });

  it('names the folder when there is no model in it', async () => {
    await expect(ImageGPTForCausalImageModeling.fromPretrained('/no/such/model')).rejects.toThrow(
      /\/no\/such\/model/,
    );
  });
});
