import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageGPTImageProcessor } from './image-processor.js';
import { learnPalette } from './learn-palette.js';
import { normalize } from './normalize.js';
import { paletteToPreprocessorConfig } from './palette-config.js';
import { mulberry32 } from './prng.js';
import { ProcessorConfigError } from './processor-config-error.js';
import type { RawImage } from './raw-image.js';

/** n pixels around `centers` (normalised space) with a small spread, from a seeded generator. */
function blobs(centers: number[][], n: number, spread: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const c = centers[i % centers.length] as number[];
    for (let d = 0; d < 3; d++) out[3 * i + d] = (c[d] as number) + spread * (rng.next() * 2 - 1);
  }
  return out;
}

/** Plain Lloyd, written the obvious way, to check the accelerated one against. */
function naiveLloyd(
  points: Float32Array,
  seeds: Float64Array,
  iterations: number,
): { centers: Float64Array; inertia: number } {
  const k = seeds.length / 3;
  const n = points.length / 3;
  let centers = seeds.slice();
  const assign = (c: Float64Array) => {
    const ids = new Int32Array(n);
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Number.POSITIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        let d = 0;
        for (let t = 0; t < 3; t++) d += ((points[3 * i + t] as number) - (c[3 * j + t] as number)) ** 2;
        if (d < bestD) {
          bestD = d;
          best = j;
        }
      }
      ids[i] = best;
      let exact = 0;
      for (let t = 0; t < 3; t++) exact += ((points[3 * i + t] as number) - (c[3 * best + t] as number)) ** 2;
      inertia += exact;
    }
    return { ids, inertia };
  };
  let { ids, inertia } = assign(centers);
  for (let it = 0; it < iterations; it++) {
    const sums = new Float64Array(k * 3);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const a = ids[i] as number;
      for (let t = 0; t < 3; t++)
        sums[3 * a + t] = (sums[3 * a + t] as number) + (points[3 * i + t] as number);
      counts[a] = (counts[a] as number) + 1;
    }
    const next = centers.slice();
    for (let j = 0; j < k; j++)
      if ((counts[j] as number) > 0)
        for (let t = 0; t < 3; t++) next[3 * j + t] = (sums[3 * j + t] as number) / (counts[j] as number);
    centers = next;
    ({ ids, inertia } = assign(centers));
  }
  return { centers, inertia };
}

describe('learnPalette', () => {
  const truth = [
    [-0.8, -0.8, -0.8],
    [0.8, -0.5, 0.1],
    [0.2, 0.7, -0.6],
    [0.9, 0.9, 0.9],
  ];
  const points = blobs(truth, 4000, 0.05, 3);

  it('finds well-separated colour blobs', () => {
    const palette = learnPalette(points, { k: 4, seed: 7 });
    expect(palette.k).toBe(4);
    expect(palette.clusters.length).toBe(12);
    for (const c of truth) {
      const near = [0, 1, 2, 3].some((j) =>
        c.every((v, d) => Math.abs(v - (palette.clusters[3 * j + d] as number)) < 0.01),
      );
      expect(near).toBe(true);
    }
    // Uniform noise of half-width 0.05 has variance 0.05²/3 per axis: inertia ≈ n * 3 * that.
    expect(palette.inertia / 4000).toBeCloseTo(0.0025, 3);
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const data = blobs([[0, 0, 0]], 3000, 1, 11); // one big cube: many local optima
    const a = learnPalette(data, { k: 12, seed: 5 });
    const b = learnPalette(data, { k: 12, seed: 5 });
    const c = learnPalette(data, { k: 12, seed: 6 });
    expect(b.clusters).toEqual(a.clusters);
    expect([b.inertia, b.iterations]).toEqual([a.inertia, a.iterations]);
    expect(c.clusters).not.toEqual(a.clusters);
  });

  it('full-batch Lloyd never ends above its seeds, and matches plain Lloyd step for step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 20, max: 400 }),
        fc.nat(),
        fc.integer({ min: 0, max: 6 }),
        (k, n, seed, iters) => {
          const data = blobs([[0, 0, 0]], n, 1, seed);
          const seeds = learnPalette(data, { k, seed, maxIterations: 0 });
          expect(seeds.iterations).toBe(0);
          expect(seeds.inertia).toBe(seeds.initialInertia);
          const run = learnPalette(data, { k, seed, maxIterations: iters, tolerance: 0 });
          expect(run.initialInertia).toBe(seeds.initialInertia);
          expect(run.inertia).toBeLessThanOrEqual(run.initialInertia);
          const reference = naiveLloyd(data, seeds.clusters, run.iterations);
          expect(run.inertia).toBeCloseTo(reference.inertia, 9);
          for (let i = 0; i < reference.centers.length; i++)
            expect(run.clusters[i]).toBeCloseTo(reference.centers[i] as number, 12);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('mini-batch mode is deterministic and no worse than its seeds', () => {
    const data = blobs(truth, 20000, 0.2, 5);
    const phases = new Set<string>();
    const a = learnPalette(data, {
      k: 8,
      seed: 2,
      batchSize: 256,
      maxIterations: 50,
      onProgress: ({ phase }) => phases.add(phase),
    });
    const b = learnPalette(data, { k: 8, seed: 2, batchSize: 256, maxIterations: 50 });
    expect(b.clusters).toEqual(a.clusters);
    expect(a.inertia).toBeLessThanOrEqual(a.initialInertia);
    expect(a.iterations).toBeGreaterThan(0);
    expect([...phases].sort()).toEqual(['init', 'minibatch']);
  });

  it('reports progress for seeding and each Lloyd iteration, with non-increasing inertia', () => {
    const seen: { iteration: number; inertia: number; phase: string }[] = [];
    const palette = learnPalette(points, { k: 6, seed: 1, onProgress: (p) => seen.push(p) });
    expect(seen[0]?.phase).toBe('init');
    expect(seen.length).toBe(palette.iterations + 1);
    for (let i = 1; i < seen.length; i++)
      expect((seen[i] as { inertia: number }).inertia).toBeLessThanOrEqual(
        (seen[i - 1] as { inertia: number }).inertia * (1 + 1e-12),
      );
  });

  it('learns from images exactly as from their normalised pixels', () => {
    const rng = mulberry32(9);
    const images: RawImage[] = [
      { width: 5, height: 4, channels: 3, data: Uint8Array.from({ length: 60 }, () => rng.int(256)) },
      { width: 3, height: 3, channels: 1, data: Uint8Array.from({ length: 9 }, () => rng.int(256)) },
    ];
    const pixels = new Float32Array(29 * 3);
    pixels.set(normalize(images[0] as RawImage));
    const grey = images[1] as RawImage;
    pixels.set(
      normalize({
        width: 3,
        height: 3,
        channels: 3,
        data: Uint8Array.from(Array.from(grey.data).flatMap((v) => [v, v, v])),
      }),
      60,
    );
    expect(learnPalette(images, { k: 5, seed: 4 }).clusters).toEqual(
      learnPalette(pixels, { k: 5, seed: 4 }).clusters,
    );
  });

  it('copes with fewer distinct colours than k', () => {
    const flat = new Float32Array(300).fill(0.25);
    const palette = learnPalette(flat, { k: 4, seed: 0 });
    expect(palette.inertia).toBe(0);
    expect(Array.from(palette.clusters).every((v) => v === 0.25)).toBe(true);
  });

  it('rejects bad options with the option named', () => {
    expect(() => learnPalette(points, { k: 0 })).toThrow(ProcessorConfigError);
    expect(() => learnPalette(new Float32Array(6), { k: 3 })).toThrow(/"k" is 3/);
    expect(() => learnPalette(points, { k: 2, batchSize: 0 })).toThrow(/batchSize/);
    expect(() => learnPalette(points, { k: 8, sampleSize: 4 })).toThrow(/sampleSize/);
    expect(() => learnPalette(new Float32Array([0, 0, Number.NaN]), { k: 1 })).toThrow(
      /pixel value 2 is NaN/,
    );
  });
});

describe('paletteToPreprocessorConfig', () => {
  it('round-trips through ImageGPTImageProcessor.fromJSON and JSON text', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -1, max: 1, noNaN: true }),
            fc.double({ min: -1, max: 1, noNaN: true }),
            fc.double({ min: -1, max: 1, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (rows, height, width) => {
          // -0 is written as 0 in JSON, so compare against +0.
          const palette = {
            clusters: Float64Array.from(rows.flat(), (v) => v + 0),
            k: rows.length,
            inertia: 0,
            initialInertia: 0,
            iterations: 0,
          };
          const json = paletteToPreprocessorConfig(palette, { height, width });
          const processor = ImageGPTImageProcessor.parse(JSON.stringify(json));
          expect(processor.clusters).toEqual(palette.clusters);
          expect(processor.size).toEqual({ height, width });
          expect([
            processor.doResize,
            processor.doNormalize,
            processor.doColorQuantize,
            processor.resample,
          ]).toEqual([true, true, true, 2]);
          expect(processor.toJSON()).toEqual(json);
        },
      ),
    );
  });
});
