import { ImageError } from './image-error.js';
import { NearestCenterIndex, scanNearestTwo } from './nearest-center-index.js';
import { normalize } from './normalize.js';
import type { Prng } from './prng.js';
import { mulberry32 } from './prng.js';
import { ProcessorConfigError } from './processor-config-error.js';
import type { RawImage } from './raw-image.js';
import { toRGB } from './to-rgb.js';

/** Options for {@link learnPalette}. Defaults are in {@link PALETTE_DEFAULTS}. */
export interface LearnPaletteOptions {
  /** Number of colours (clusters); 512 for the OpenAI iGPT checkpoints. */
  k: number;
  /** Seed of the Mulberry32 generator used for seeding and mini-batches; same seed, same palette. */
  seed?: number;
  /** Most Lloyd iterations (full batch) or mini-batches (mini-batch mode). */
  maxIterations?: number;
  /** Stop when the inertia improves by less than this fraction of itself (smoothed in mini-batch mode). */
  tolerance?: number;
  /** When set, run mini-batch k-means (Sculley 2010) with batches of this many pixels instead of Lloyd. */
  batchSize?: number;
  /** k-means++ seeding runs on a random subsample of this many pixels (all pixels when larger than the data). */
  sampleSize?: number;
  /** Called after seeding and after every iteration or mini-batch. */
  onProgress?: (info: { iteration: number; inertia: number; phase: 'init' | 'lloyd' | 'minibatch' }) => void;
}

/** A learnt colour palette. */
export interface Palette {
  /** k×3 row-major, in ImageGPT's normalised [-1, 1] space: what `preprocessor_config.json` stores. */
  clusters: Float64Array;
  k: number;
  /** Sum over all pixels of the squared distance to the nearest cluster, for `clusters`. */
  inertia: number;
  /** The same sum for the k-means++ seeds, before any iteration. */
  initialInertia: number;
  /** Lloyd iterations or mini-batches actually run. */
  iterations: number;
}

/** The defaults of {@link LearnPaletteOptions}, in one place. */
export const PALETTE_DEFAULTS = Object.freeze({
  seed: 0,
  maxIterations: 100,
  tolerance: 1e-4,
  /** k-means++ costs k passes over its sample, so it is capped; 64 seeds' worth per cluster is plenty. */
  sampleSize: (k: number) => Math.max(65_536, 64 * k),
  /** Mini-batch mode stops after this many batches without a relative improvement above `tolerance`. */
  miniBatchPatience: 10,
});

/**
 * Learns a k-colour palette for ImageGPT by k-means on normalised RGB pixels: k-means++ seeding
 * (seeded, deterministic) then Lloyd's algorithm, or mini-batch k-means when `batchSize` is set.
 * Input is either images (made RGB and normalised exactly as the processor does, not resized) or
 * already-normalised pixels (`n*3` floats). Lloyd's assignment step uses Hamerly's bounds, so
 * after the first iterations most pixels skip the scan over all k clusters; results are those of
 * plain Lloyd. The returned palette is never worse (in inertia) than its seeds.
 *
 * @example
 * const palette = learnPalette(images, { k: 16, seed: 1 });
 * const config = paletteToPreprocessorConfig(palette, { height: 16, width: 16 });
 */
export function learnPalette(images: RawImage[] | Float32Array, options: LearnPaletteOptions): Palette {
  const points = images instanceof Float32Array ? checkPixels(images) : pixelsOf(images);
  const n = points.length / 3;
  const k = options.k;
  if (!Number.isInteger(k) || k < 1) throw optionError('k', k, 'a positive integer');
  if (n < k) throw optionError('k', k, `at most the number of pixels (${n})`);
  const maxIterations = options.maxIterations ?? PALETTE_DEFAULTS.maxIterations;
  if (!Number.isInteger(maxIterations) || maxIterations < 0)
    throw optionError('maxIterations', maxIterations, 'a non-negative integer');
  const tolerance = options.tolerance ?? PALETTE_DEFAULTS.tolerance;
  if (!(tolerance >= 0)) throw optionError('tolerance', tolerance, 'a number >= 0');
  const sampleSize = options.sampleSize ?? PALETTE_DEFAULTS.sampleSize(k);
  if (!Number.isInteger(sampleSize) || sampleSize < k)
    throw optionError('sampleSize', sampleSize, `an integer >= k (${k})`);
  const seed = options.seed ?? PALETTE_DEFAULTS.seed;
  if (!Number.isInteger(seed)) throw optionError('seed', seed, 'an integer');
  const batchSize = options.batchSize;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
    throw optionError('batchSize', batchSize, 'a positive integer');

  const rng = mulberry32(seed);
  const centers = kMeansPlusPlus(points, k, Math.min(sampleSize, n), rng);
  const report = options.onProgress;
  return batchSize === undefined
    ? lloyd(points, centers, k, maxIterations, tolerance, report)
    : miniBatch(points, centers, k, batchSize, maxIterations, tolerance, rng, report);
}

function optionError(field: string, value: unknown, expected: string): ProcessorConfigError {
  return new ProcessorConfigError('bad learnPalette option', { field, value, expected });
}

function checkPixels(pixels: Float32Array): Float32Array {
  if (pixels.length === 0 || pixels.length % 3 !== 0) {
    throw new ImageError(
      `learnPalette expects normalised RGB pixels (a positive multiple of 3 floats), got ${pixels.length}`,
    );
  }
  for (let i = 0; i < pixels.length; i++) {
    if (!Number.isFinite(pixels[i]))
      throw new ImageError(`pixel value ${i} is ${pixels[i]}, expected a finite number`);
  }
  return pixels;
}

function pixelsOf(images: RawImage[]): Float32Array {
  if (images.length === 0) throw new ImageError('learnPalette got no images');
  const parts = images.map((image, i) => normalize(toRGB(image, `images[${i}]`), `images[${i}]`));
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Squared distance from point `i` to center `j`. */
function dist2(points: Float32Array, i: number, centers: Float64Array, j: number): number {
  const dx = (points[3 * i] as number) - (centers[3 * j] as number);
  const dy = (points[3 * i + 1] as number) - (centers[3 * j + 1] as number);
  const dz = (points[3 * i + 2] as number) - (centers[3 * j + 2] as number);
  return dx * dx + dy * dy + dz * dz;
}

/**
 * k-means++ (Arthur & Vassilvitskii 2007) on a random subsample: each new seed is drawn with
 * probability proportional to its squared distance to the nearest seed so far. When every sampled
 * pixel already coincides with a seed (fewer distinct colours than k), seeds are drawn uniformly.
 */
function kMeansPlusPlus(points: Float32Array, k: number, m: number, rng: Prng): Float64Array {
  const n = points.length / 3;
  let sample: Int32Array;
  if (m >= n) {
    sample = new Int32Array(n);
    for (let i = 0; i < n; i++) sample[i] = i;
  } else {
    // Partial Fisher–Yates: the first m entries become a uniform sample without replacement.
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = 0; i < m; i++) {
      const j = i + rng.int(n - i);
      const t = perm[i] as number;
      perm[i] = perm[j] as number;
      perm[j] = t;
    }
    sample = perm.slice(0, m);
  }
  const centers = new Float64Array(k * 3);
  const setCenter = (j: number, p: number) => {
    centers[3 * j] = points[3 * p] as number;
    centers[3 * j + 1] = points[3 * p + 1] as number;
    centers[3 * j + 2] = points[3 * p + 2] as number;
  };
  setCenter(0, sample[rng.int(m)] as number);
  const d2 = new Float64Array(m);
  let total = 0;
  for (let s = 0; s < m; s++) {
    const v = dist2(points, sample[s] as number, centers, 0);
    d2[s] = v;
    total += v;
  }
  for (let j = 1; j < k; j++) {
    let chosen: number;
    if (total > 0) {
      const target = rng.next() * total;
      let acc = 0;
      chosen = m - 1;
      for (let s = 0; s < m; s++) {
        acc += d2[s] as number;
        if (acc > target) {
          chosen = s;
          break;
        }
      }
      // Rounding in the running sum can land on a zero-weight entry at the end; step back to a real one.
      while (chosen > 0 && (d2[chosen] as number) === 0) chosen--;
    } else {
      chosen = rng.int(m);
    }
    setCenter(j, sample[chosen] as number);
    total = 0;
    for (let s = 0; s < m; s++) {
      const v = dist2(points, sample[s] as number, centers, j);
      if (v < (d2[s] as number)) d2[s] = v;
      total += d2[s] as number;
    }
  }
  return centers;
}

function inertiaOf(points: Float32Array, centers: Float64Array, assign: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < assign.length; i++) sum += dist2(points, i, centers, assign[i] as number);
  return sum;
}

/**
 * Lloyd's algorithm with Hamerly's (2010) bounds: per pixel an upper bound on the distance to its
 * center and a lower bound on the distance to any other; per center half the distance to its
 * nearest other center. A pixel whose upper bound is below both needs no scan; the others search
 * from their current center with {@link NearestCenterIndex}. Bounds are moved by how far centers
 * moved after each update, so assignments stay those of plain Lloyd.
 */
function lloyd(
  points: Float32Array,
  centers: Float64Array,
  k: number,
  maxIterations: number,
  tolerance: number,
  report: LearnPaletteOptions['onProgress'],
): Palette {
  const n = points.length / 3;
  const assign = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const two = new Float64Array(2);
  let index = new NearestCenterIndex(centers);
  for (let i = 0; i < n; i++) {
    const x = points[3 * i] as number;
    const y = points[3 * i + 1] as number;
    const z = points[3 * i + 2] as number;
    assign[i] = index.nearestTwo(x, y, z, index.guess(x, y, z), two);
    upper[i] = Math.sqrt(two[0] as number);
    lower[i] = Math.sqrt(two[1] as number);
  }
  const initialInertia = inertiaOf(points, centers, assign);
  report?.({ iteration: 0, inertia: initialInertia, phase: 'init' });

  let best = { centers: centers.slice(), inertia: initialInertia };
  let previous = initialInertia;
  let iterations = 0;
  const sums = new Float64Array(k * 3);
  const counts = new Float64Array(k);
  const moved = new Float64Array(k);
  const old = new Float64Array(k * 3);

  while (iterations < maxIterations) {
    iterations++;
    // Update step: each center moves to the mean of its pixels.
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const a = assign[i] as number;
      sums[3 * a] = (sums[3 * a] as number) + (points[3 * i] as number);
      sums[3 * a + 1] = (sums[3 * a + 1] as number) + (points[3 * i + 1] as number);
      sums[3 * a + 2] = (sums[3 * a + 2] as number) + (points[3 * i + 2] as number);
      counts[a] = (counts[a] as number) + 1;
    }
    old.set(centers);
    const empty: number[] = [];
    for (let j = 0; j < k; j++) {
      const c = counts[j] as number;
      if (c === 0) {
        empty.push(j);
        continue;
      }
      centers[3 * j] = (sums[3 * j] as number) / c;
      centers[3 * j + 1] = (sums[3 * j + 1] as number) / c;
      centers[3 * j + 2] = (sums[3 * j + 2] as number) / c;
    }
    if (empty.length > 0) relocateEmpty(points, centers, assign, empty);
    let maxMove = 0;
    let maxMoveAt = -1;
    let secondMove = 0;
    for (let j = 0; j < k; j++) {
      const dx = (centers[3 * j] as number) - (old[3 * j] as number);
      const dy = (centers[3 * j + 1] as number) - (old[3 * j + 1] as number);
      const dz = (centers[3 * j + 2] as number) - (old[3 * j + 2] as number);
      const m = Math.sqrt(dx * dx + dy * dy + dz * dz);
      moved[j] = m;
      if (m > maxMove) {
        secondMove = maxMove;
        maxMove = m;
        maxMoveAt = j;
      } else if (m > secondMove) {
        secondMove = m;
      }
    }
    index = new NearestCenterIndex(centers);
    const half = index.halfGap;

    // Assignment step, skipping every pixel whose bounds prove its center is still the nearest.
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = assign[i] as number;
      let u = (upper[i] as number) + (moved[a] as number);
      const l = (lower[i] as number) - (a === maxMoveAt ? secondMove : maxMove);
      lower[i] = l;
      const bound = Math.max(half[a] as number, l);
      if (u <= bound) {
        upper[i] = u;
        continue;
      }
      u = Math.sqrt(dist2(points, i, centers, a));
      upper[i] = u;
      if (u <= bound) continue;
      const b = index.nearestTwo(
        points[3 * i] as number,
        points[3 * i + 1] as number,
        points[3 * i + 2] as number,
        a,
        two,
      );
      upper[i] = Math.sqrt(two[0] as number);
      lower[i] = Math.sqrt(two[1] as number);
      if (b !== a) {
        assign[i] = b;
        changed++;
      }
    }

    const inertia = inertiaOf(points, centers, assign);
    report?.({ iteration: iterations, inertia, phase: 'lloyd' });
    if (inertia < best.inertia) best = { centers: centers.slice(), inertia };
    if (changed === 0 || previous - inertia <= tolerance * previous) break;
    previous = inertia;
  }
  return { clusters: best.centers, k, inertia: best.inertia, initialInertia, iterations };
}

/**
 * A center that lost all its pixels is moved onto the pixel farthest from its own center, as
 * scikit-learn does, so no colour of the palette is wasted. Each empty center takes a different pixel.
 */
function relocateEmpty(
  points: Float32Array,
  centers: Float64Array,
  assign: Int32Array,
  empty: number[],
): void {
  const n = assign.length;
  const taken = new Set<number>();
  for (const j of empty) {
    let far = -1;
    let farD = -1;
    for (let i = 0; i < n; i++) {
      if (taken.has(i)) continue;
      const d = dist2(points, i, centers, assign[i] as number);
      if (d > farD) {
        farD = d;
        far = i;
      }
    }
    if (far < 0) return;
    taken.add(far);
    centers[3 * j] = points[3 * far] as number;
    centers[3 * j + 1] = points[3 * far + 1] as number;
    centers[3 * j + 2] = points[3 * far + 2] as number;
  }
}

function nearestInertia(points: Float32Array, centers: Float64Array): number {
  const n = points.length / 3;
  const index = new NearestCenterIndex(centers);
  const two = new Float64Array(2);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = points[3 * i] as number;
    const y = points[3 * i + 1] as number;
    const z = points[3 * i + 2] as number;
    index.nearestTwo(x, y, z, index.guess(x, y, z), two);
    sum += two[0] as number;
  }
  return sum;
}

/**
 * Mini-batch k-means (Sculley 2010): each batch of uniformly drawn pixels pulls its nearest
 * centers towards them with a per-center learning rate 1/count. Stops after `maxIterations`
 * batches or when the smoothed batch inertia has not improved for a while.
 */
function miniBatch(
  points: Float32Array,
  centers: Float64Array,
  k: number,
  batchSize: number,
  maxIterations: number,
  tolerance: number,
  rng: Prng,
  report: LearnPaletteOptions['onProgress'],
): Palette {
  const n = points.length / 3;
  const initialInertia = nearestInertia(points, centers);
  report?.({ iteration: 0, inertia: initialInertia, phase: 'init' });
  const seeds = centers.slice();
  const counts = new Float64Array(k);
  const batch = new Int32Array(batchSize);
  const nearest = new Int32Array(batchSize);
  const two = new Float64Array(2);
  let smoothed = Number.NaN;
  let bestSmoothed = Number.POSITIVE_INFINITY;
  let stale = 0;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    let batchInertia = 0;
    // Assign the whole batch against the same centers first, then move them: Sculley's order.
    for (let b = 0; b < batchSize; b++) {
      const i = rng.int(n);
      batch[b] = i;
      nearest[b] = scanNearestTwo(
        points[3 * i] as number,
        points[3 * i + 1] as number,
        points[3 * i + 2] as number,
        centers,
        k,
        two,
      );
      batchInertia += two[0] as number;
    }
    for (let b = 0; b < batchSize; b++) {
      const i = batch[b] as number;
      const j = nearest[b] as number;
      const c = (counts[j] as number) + 1;
      counts[j] = c;
      const eta = 1 / c;
      for (let d = 0; d < 3; d++) {
        const o = 3 * j + d;
        centers[o] = (centers[o] as number) + eta * ((points[3 * i + d] as number) - (centers[o] as number));
      }
    }
    const mean = batchInertia / batchSize;
    report?.({ iteration: iterations, inertia: mean * n, phase: 'minibatch' });
    smoothed = Number.isNaN(smoothed) ? mean : 0.9 * smoothed + 0.1 * mean;
    if (smoothed < bestSmoothed * (1 - tolerance)) {
      bestSmoothed = smoothed;
      stale = 0;
    } else if (++stale >= PALETTE_DEFAULTS.miniBatchPatience) {
      break;
    }
  }
  const inertia = nearestInertia(points, centers);
  // Mini-batch steps are noisy; never hand back something worse than the seeds.
  if (inertia > initialInertia)
    return { clusters: seeds, k, inertia: initialInertia, initialInertia, iterations };
  return { clusters: centers, k, inertia, initialInertia, iterations };
}
