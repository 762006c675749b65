import { trainLinearProbe } from '@imagegpt/node';
import type { BenchResults } from '../bench-results.js';
import { seededUniform } from '../seeded.js';

/** Seconds of an L-BFGS linear probe on synthetic features shaped like iGPT-small's (512 wide). */
export function timeProbe(quick: boolean): BenchResults['probe'] {
  const classes = 10;
  const samples = quick ? 500 : 9000;
  const dims = quick ? 64 : 512;
  const next = seededUniform(777);
  // One Gaussian-ish blob per class (a sum of uniforms), so the probe has something to learn.
  const centres = Array.from({ length: classes }, () => Array.from({ length: dims }, () => next() * 2 - 1));
  const labels = Array.from({ length: samples }, (_, i) => i % classes);
  const features = labels.map((label) =>
    Float32Array.from(centres[label] ?? [], (c) => c + (next() + next() + next() - 1.5) * 2),
  );
  let iterations = 0;
  const t0 = performance.now();
  trainLinearProbe(features, labels, {
    numClasses: classes,
    onProgress: (e) => {
      iterations = e.iteration;
    },
  });
  return { samples, dims, classes, iterations, seconds: (performance.now() - t0) / 1e3 };
}
