import { describe, expect, it } from 'vitest';
import { classifierLoss, crossEntropy, resolveProblemType } from './cross-entropy.js';
import { HeadsError } from './heads-error.js';

// Small hand-checked cases of HF's three classifier losses, in float64 as PyTorch defines them.
const logits = Float32Array.of(2, -1, 0.5, -3, 0, 4); // [2, 3]

describe("resolveProblemType: HF's rule when the config leaves problem_type unset", () => {
  it('a single label is regression, class indices cross-entropy, per-label targets multi-label', () => {
    expect(resolveProblemType(null, 1, [0.5, 2])).toBe('regression');
    expect(resolveProblemType(null, 1, [[0.5], [2]])).toBe('regression');
    expect(resolveProblemType(null, 3, [0, 2])).toBe('single_label_classification');
    expect(resolveProblemType(null, 3, [[0, 1, 1]])).toBe('multi_label_classification');
  });

  it("the config's problem_type wins", () => {
    expect(resolveProblemType('regression', 3, [[0, 1, 1]])).toBe('regression');
    expect(resolveProblemType('multi_label_classification', 1, [[1]])).toBe('multi_label_classification');
  });
});

describe('classifierLoss', () => {
  it('single_label_classification: mean cross-entropy, −100 rows skipped', () => {
    const want = (crossEntropy(logits, 0, 3, 0) + crossEntropy(logits, 3, 3, 2)) / 2;
    expect(classifierLoss(logits, [0, 2], 3, 'single_label_classification')).toBeCloseTo(want, 15);
    expect(classifierLoss(logits, [-100, 2], 3, 'single_label_classification')).toBeCloseTo(
      crossEntropy(logits, 3, 3, 2),
      15,
    );
    // −log softmax([2, −1, 0.5])[0]
    expect(crossEntropy(logits, 0, 3, 0)).toBeCloseTo(
      Math.log(Math.exp(2) + Math.exp(-1) + Math.exp(0.5)) - 2,
      14,
    );
  });

  it('regression: mean squared error over every element, squeezed for one label', () => {
    expect(classifierLoss(Float32Array.of(1, -2), [0.5, 1], 1, 'regression')).toBeCloseTo((0.25 + 9) / 2, 15);
    expect(classifierLoss(Float32Array.of(1, -2), [[0.5], [1]], 1, 'regression')).toBeCloseTo(4.625, 15);
    const targets = [
      [1, 0, 0],
      [0, 0, 2],
    ];
    const want = [1, 1, 0.25, 9, 0, 4].reduce((a, b) => a + b, 0) / 6;
    expect(classifierLoss(logits, targets, 3, 'regression')).toBeCloseTo(want, 15);
  });

  it('multi_label_classification: mean BCE with logits, stable for large logits', () => {
    const targets = [
      [1, 0, 1],
      [0, 0, 1],
    ];
    const bce = (x: number, y: number) =>
      -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-x))));
    const want =
      Array.from(logits).reduce((sum, x, i) => sum + bce(x, targets[Math.floor(i / 3)]![i % 3]!), 0) / 6;
    expect(classifierLoss(logits, targets, 3, 'multi_label_classification')).toBeCloseTo(want, 14);
    // log(1 + e^−|x|) keeps a logit of 100 finite where the textbook form gives log(0).
    expect(classifierLoss(Float32Array.of(100, -100), [[0, 1]], 2, 'multi_label_classification')).toBeCloseTo(
      100,
      10,
    );
  });

  it.each([
    [[0, 3], 'single_label_classification', /labels\[1\]: is 3, expected a class index in 0\.\.2/],
    [[0.5, 1], 'single_label_classification', /labels\[0\]: is 0\.5/],
    [[[1, 0, 1]], 'single_label_classification', /labels: has 1 entries, expected one per input row \(2\)/],
    [
      [
        [1, 0],
        [0, 1],
      ],
      'multi_label_classification',
      /labels\[0\]: has 2 targets, expected 3/,
    ],
    [[0, 1], 'multi_label_classification', /takes 3 targets per row/],
    [
      [
        [1, Number.NaN, 0],
        [0, 0, 1],
      ],
      'regression',
      /labels\[0\]\[1\]: is NaN, expected a finite number/,
    ],
  ] as const)('refuses %j for %s, naming the label', (labels, problemType, message) => {
    expect(() => classifierLoss(logits, labels as never, 3, problemType)).toThrow(HeadsError);
    expect(() => classifierLoss(logits, labels as never, 3, problemType)).toThrow(message);
  });
});
