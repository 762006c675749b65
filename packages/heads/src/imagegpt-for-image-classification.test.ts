import { sharedPath } from '@imagegpt/test-kit';
import { folderSource } from '@imagegpt/test-kit/files';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from '../../node/src/node-backend.js';
import { ImageGPTForImageClassification } from './imagegpt-for-image-classification.js';
import { trainLinearProbe } from './linear-probe.js';
import { mnistDigits } from './test-utils/mnist-digits.js';

const backend = createNodeBackend({ threads: 2 });
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

describe.each([
  ['tiny-classify-regression', 'regression: num_labels 1, float targets, mean squared error'],
  ['tiny-classify-multilabel', 'multi-label: multi-hot float targets, BCE with logits'],
])('%s (%s): the loss HF picks when problem_type is unset', (name) => {
  it('matches HF logits, pooled features and loss from float labels', async () => {
    const golden = goldenCase(name);
    expect(golden.config.problemType).toBeNull();
    const model = await ImageGPTForImageClassification.fromSource(folderSource(golden.dir), { backend });
    try {
      const values = Array.from(golden.f32('labels'));
      const [batch = 0, width] = golden.shape('labels');
      // [B] floats: one regression target per row; [B, L]: per-label targets.
      const labels =
        width === undefined
          ? values
          : Array.from({ length: batch }, (_, b) => values.slice(b * width, (b + 1) * width));
      const { logits, pooled, loss } = await model.forward(golden.rows('input_ids'), { labels });
      golden.expectClose('logits', logits.data as Float32Array);
      golden.expectClose('pooled', pooled.data as Float32Array);
      golden.expectClose('loss', [loss!]);
    } finally {
      await model.dispose();
    }
  });
});

describe('ImageGPTForImageClassification on the tiny golden model', () => {
  let model: ImageGPTForImageClassification;
  beforeAll(async () => {
    model = await ImageGPTForImageClassification.fromSource(folderSource(goldenCase('tiny-classify').dir), {
      backend,
    });
  });
  afterAll(() => model.dispose());

  it('matches HF logits, pooled features and loss', async () => {
    const golden = goldenCase('tiny-classify');
    const labels = Array.from(golden.io.int64('labels'), Number);
    const { logits, pooled, loss } = await model.forward(golden.rows('input_ids'), { labels });
    expect(logits.dims).toEqual([4, 3]);
    golden.expectClose('logits', logits.data as Float32Array);
    golden.expectClose('pooled', pooled.data as Float32Array);
    golden.expectClose('loss', [loss!]);
  });

  it('classify() returns softmax probabilities ranked, with the config labels', async () => {
    const golden = goldenCase('tiny-classify');
    const results = await model.classify(golden.rows('input_ids'), { topK: 2 });
    const logits = golden.f32('logits');
    results.forEach((result, b) => {
      const row = Array.from(logits.subarray(3 * b, 3 * b + 3));
      const exps = row.map((z) => Math.exp(z));
      const sum = exps.reduce((a, e) => a + e, 0);
      const best = row.indexOf(Math.max(...row));
      expect(result.index).toBe(best);
      expect(result.label).toBe(model.config.id2label[best]);
      expect(result.score).toBeCloseTo(exps[best]! / sum, 5);
      expect(result.scores).toHaveLength(2);
      expect(result.scores[0]!.score).toBeGreaterThanOrEqual(result.scores[1]!.score);
    });
  });

  it('features() at the last layer are the pooled output', async () => {
    const golden = goldenCase('tiny-classify');
    const features = await model.features(golden.rows('input_ids'));
    golden.expectClose(
      'pooled',
      features.flatMap((f) => Array.from(f)),
    );
  });
});

describe('ImageGPTForImageClassification on igpt-mnist-16-classifier', () => {
  let model: ImageGPTForImageClassification;
  beforeAll(async () => {
    model = await ImageGPTForImageClassification.fromSource(
      folderSource(sharedPath('models', 'igpt-mnist-16-classifier')),
      {
        backend,
      },
    );
  });
  afterAll(() => model.dispose());

  it('classifies real test digits (the card reports 94.8%)', async () => {
    const images = DIGITS.flatMap((d) => mnistDigits(d, -5, 0));
    const truth = DIGITS.flatMap((d) => new Array<number>(5).fill(d));
    const results = await model.classify(images, { topK: 3 });
    const correct = results.filter((r, i) => r.index === truth[i]).length;
    expect(correct / images.length).toBeGreaterThanOrEqual(0.9); // 50 of 50 here
    for (const r of results) {
      expect(r.label).toBe(String(r.index));
      expect(r.scores.map((s) => s.label)[0]).toBe(r.label);
      expect(r.scores).toHaveLength(3);
    }
  });

  it('a linear probe on the features of 300 digits reaches > 80% on 100 test digits', async () => {
    const train = DIGITS.flatMap((d) => mnistDigits(d, 0, 30));
    const trainLabels = DIGITS.flatMap((d) => new Array<number>(30).fill(d));
    const test = DIGITS.flatMap((d) => mnistDigits(d, -10, 0));
    const testLabels = DIGITS.flatMap((d) => new Array<number>(10).fill(d));
    const progress: number[] = [];
    const trainFeatures = await model.features(train, {
      batchSize: 50,
      onProgress: (e) => progress.push(e.done),
    });
    expect(progress).toEqual([50, 100, 150, 200, 250, 300]);
    expect(trainFeatures[0]).toHaveLength(128);
    const probe = trainLinearProbe(trainFeatures, trainLabels, { numClasses: 10 });
    const accuracy = probe.accuracy(await model.features(test), testLabels);
    // 30 digits per class, not the card's 9,000 digits (94.8%): 85% here.
    expect(accuracy).toBeGreaterThan(0.8);
  });
});

/** The weights a head runs on (its protected `weights()`), to read the fitted score. */
const weightsOf = (model: ImageGPTForImageClassification) =>
  (model as unknown as { weights(): Promise<{ float32(name: string): Float32Array }> }).weights();

describe('a classifier from a causal checkpoint (HF fine-tuning flow) and trainHead', () => {
  const causal = sharedPath('models', 'igpt-mnist-16');
  const load = (options: { seed?: number; numLabels?: number; id2label?: string[] }, warnings: string[]) =>
    ImageGPTForImageClassification.fromSource(folderSource(causal), {
      backend,
      // Whole unpadded digits: the fused prefill computes their features fastest.
      prefill: 'fused',
      ...options,
      onWarning: (message) => warnings.push(message),
    });

  it('initialises score as HF does, seeded, and warns once naming it', async () => {
    const warnings: string[] = [];
    const [a, b, c] = await Promise.all([
      load({ numLabels: 10, seed: 7 }, warnings),
      load({ numLabels: 10, seed: 7 }, warnings),
      load({ id2label: ['even', 'odd'], seed: 8 }, warnings),
    ]);
    try {
      expect(warnings).toHaveLength(3);
      for (const w of warnings) {
        expect(w).toContain("['score.weight']");
        expect(w).toContain('lm_head.weight');
      }
      expect([a.config.numLabels, a.config.id2label[9], c.config.label2id]).toEqual([
        10,
        'LABEL_9',
        { even: 0, odd: 1 },
      ]);
      const ids = [Array.from({ length: 256 }, (_, i) => i % 16)];
      const [la, lb] = await Promise.all([a.forward(ids), b.forward(ids)]);
      expect(la.logits.data).toEqual(lb.logits.data);
      // normal(0, 0.02): logits of unit-scale features stay small.
      expect(Math.max(...Array.from(la.logits.data as Float32Array, Math.abs))).toBeLessThan(1);
    } finally {
      await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
    }
  });

  it('a checkpoint that already has score keeps it, with no warning', async () => {
    const warnings: string[] = [];
    const model = await ImageGPTForImageClassification.fromSource(
      folderSource(sharedPath('models', 'igpt-mnist-16-classifier')),
      { backend, onWarning: (m) => warnings.push(m) },
    );
    await model.dispose();
    expect(warnings).toEqual([]);
  });

  it('trainHead fits the bias-free score on pooled features and classifies held-out digits', async () => {
    const model = await load({ numLabels: 10, seed: 1 }, []);
    try {
      const train = DIGITS.flatMap((d) => mnistDigits(d, 0, 30));
      const labels = DIGITS.flatMap((d) => new Array<number>(30).fill(d));
      const features = await model.features(train);
      const result = await model.trainHead({ features }, labels);
      expect(result.trainAccuracy).toBeGreaterThan(0.9);
      expect(model.config.problemType).toBe('single_label_classification');
      const test = DIGITS.flatMap((d) => mnistDigits(d, -10, 0));
      const truth = DIGITS.flatMap((d) => new Array<number>(10).fill(d));
      const predictions = await model.classify(test);
      const accuracy = predictions.filter((p, i) => p.index === truth[i]).length / test.length;
      // 30 digits a class and no bias: well above chance (0.1), below the card's full-data 94.8%.
      expect(accuracy).toBeGreaterThan(0.7);
      // The logits are HF's score: pooled features times the fitted weights, with no bias.
      const { logits, pooled } = await model.forward([[...Array(256).keys()].map((i) => (i * 7) % 16)]);
      const score = (await weightsOf(model)).float32('score.weight');
      const want = Array.from({ length: 10 }, (_, k) =>
        (pooled.data as Float32Array).reduce((s, f, j) => s + f * score[k * 128 + j]!, 0),
      );
      for (const [k, z] of (logits.data as Float32Array).entries()) expect(z).toBeCloseTo(want[k]!, 4);
    } finally {
      await model.dispose();
    }
  });

  it('trainHead on images fits what it fits on their pooled features', async () => {
    const [a, b] = await Promise.all([
      load({ numLabels: 10, seed: 1 }, []),
      load({ numLabels: 10, seed: 2 }, []),
    ]);
    try {
      const images = DIGITS.flatMap((d) => mnistDigits(d, 0, 2));
      const labels = DIGITS.flatMap((d) => [d, d]);
      const stages = new Set<string>();
      await a.trainHead(images, labels, { onProgress: (e) => stages.add(e.stage) });
      expect([...stages]).toEqual(['features', 'fit']);
      await b.trainHead({ features: await b.features(images) }, labels);
      expect((await weightsOf(a)).float32('score.weight')).toEqual(
        (await weightsOf(b)).float32('score.weight'),
      );
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it('refuses labels out of range and a single-label config', async () => {
    const model = await load({ numLabels: 3, seed: 1 }, []);
    try {
      const features = [new Float32Array(128), new Float32Array(128).fill(1)];
      await expect(model.trainHead({ features }, [0, 3])).rejects.toThrow(/labels\[1\]: is 3/);
      await expect(model.trainHead({ features: [new Float32Array(5)] }, [0])).rejects.toThrow(
        /features\[0\]: has 5 values/,
      );
    } finally {
      await model.dispose();
    }
    const one = await load({ numLabels: 1, seed: 1 }, []);
    try {
      await expect(one.trainHead({ features: [new Float32Array(128)] }, [0])).rejects.toThrow(/at least 2/);
    } finally {
      await one.dispose();
    }
  });
});
