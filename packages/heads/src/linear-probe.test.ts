import { describe, expect, it } from 'vitest';
import { HeadsError } from './heads-error.js';
import { minimizeLbfgs } from './lbfgs.js';
import { trainLinearProbe } from './linear-probe.js';

/** A tiny deterministic generator so the synthetic data sets are the same on every run. */
function gaussianSource(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** `perClass` points around a different centre for each class, with features on wildly different scales. */
function blobs(numClasses: number, perClass: number, dim: number, seed: number) {
  const normal = gaussianSource(seed);
  const centres = Array.from({ length: numClasses }, () => Array.from({ length: dim }, () => 2 * normal()));
  const scales = Array.from({ length: dim }, (_, j) => 10 ** ((j % 5) - 2));
  const features: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < numClasses * perClass; i++) {
    const label = i % numClasses;
    features.push(Float32Array.from(centres[label]!, (c, j) => (c + normal()) * scales[j]! + 5));
    labels.push(label);
  }
  return { features, labels };
}

describe('minimizeLbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const rosenbrock = (x: Float64Array, g: Float64Array) => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const result = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), {
      maxIterations: 500,
      gradientTolerance: 1e-9,
    });
    expect(result.x[0]).toBeCloseTo(1, 5);
    expect(result.x[1]).toBeCloseTo(1, 5);
    expect(result.value).toBeLessThan(1e-10);
  });
});

describe('trainLinearProbe', () => {
  const train = blobs(4, 60, 12, 7);
  const test = blobs(4, 30, 12, 7 + 1000);

  it('separates Gaussian blobs whatever the feature scales', () => {
    const probe = trainLinearProbe(train.features, train.labels, { numClasses: 4 });
    expect(probe.accuracy(train.features, train.labels)).toBeGreaterThan(0.95);
    expect(probe.training.iterations).toBeGreaterThan(0);
  });

  it('reaches the optimum: mean predicted probabilities equal the class frequencies (unpenalized bias)', () => {
    const labels = train.labels.map((l, i) => (i % 7 === 0 ? 0 : l)); // unbalanced classes
    const probe = trainLinearProbe(train.features, labels, { numClasses: 4, l2: 0.1 });
    const meanProbs = new Float64Array(4);
    for (const f of train.features) {
      probe.predict(f).probs.forEach((p, k) => {
        meanProbs[k] = meanProbs[k]! + p / labels.length;
      });
    }
    for (let k = 0; k < 4; k++) {
      expect(meanProbs[k]).toBeCloseTo(labels.filter((l) => l === k).length / labels.length, 5);
    }
  });

  it('shrinks the weights as the L2 penalty grows', () => {
    const norm = (l2: number) =>
      trainLinearProbe(train.features, train.labels, { numClasses: 4, l2 }).weights.reduce(
        (s, w) => s + w * w,
        0,
      );
    expect(norm(1)).toBeLessThan(norm(0.01));
  });

  it('is deterministic', () => {
    const a = trainLinearProbe(train.features, train.labels, { numClasses: 4 });
    const b = trainLinearProbe(train.features, train.labels, { numClasses: 4 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.accuracy(test.features, test.labels)).toBe(b.accuracy(test.features, test.labels));
  });

  // Its speed is a benchmark figure, not a test; the test's timeout only catches a hang.
  it('trains on 9000 × 128 features and 10 classes', () => {
    const big = blobs(10, 900, 128, 3);
    const probe = trainLinearProbe(big.features, big.labels, { numClasses: 10, maxIterations: 100 });
    expect(probe.accuracy(big.features, big.labels)).toBeGreaterThan(0.95);
  });

  it('names the bad argument', () => {
    expect(() => trainLinearProbe(train.features, [0, 1], { numClasses: 4 })).toThrow(
      /labels: expected one label/,
    );
    expect(() => trainLinearProbe(train.features, train.labels, { numClasses: 3 })).toThrow(HeadsError);
    expect(() =>
      trainLinearProbe([Float32Array.of(1, 2), Float32Array.of(1)], [0, 1], { numClasses: 2 }),
    ).toThrow(/features\[1\]: has length 1, expected 2/);
  });
});
