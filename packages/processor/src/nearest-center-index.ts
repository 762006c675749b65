/*
 * Exact nearest- and second-nearest-center search for k-means in 3-D colour space, much faster
 * than scanning all k centers (Phillips' "sort-means" pruning):
 *  - for every center a, the other centers sorted by their distance to a;
 *  - given a starting center a at distance du from x, a center q can only beat a current distance
 *    D when dist(a, q) - du < D (triangle inequality), so the scan along a's sorted list stops
 *    at the first q whose dist(a, q) - du exceeds the second-best distance found so far;
 *  - a coarse grid over [-1, 1]^3 supplies a good starting center when none is known.
 * Ties go to the lowest index, like a plain scan.
 */

/** Sorted neighbour lists cost k² entries; above this k a plain scan is used instead. */
const MAX_INDEXED_K = 1024;
/** Grid cells per axis for the starting-center table (16³ = 4096 cells). */
const GRID = 16;
/** Sort keys hold d² quantised to this many steps per unit, times k, plus the center index. */
const KEY_SCALE = 2 ** 20;

/** Nearest-center lookups against a fixed set of centers; rebuild after the centers move. */
export class NearestCenterIndex {
  readonly k: number;
  /** Half the distance from each center to its nearest other center (Hamerly's s). */
  readonly halfGap: Float64Array;
  private readonly centers: Float64Array;
  /** `k * (k-1)`: for center a, the other centers in increasing distance from a. */
  private readonly order: Int32Array | null;
  /** A lower bound of dist(a, order[...]) for the same entries (from the quantised key). */
  private readonly lowDist: Float64Array | null;
  private readonly gridStart: Int32Array | null;

  constructor(centers: Float64Array) {
    const k = centers.length / 3;
    this.k = k;
    this.centers = centers;
    this.halfGap = new Float64Array(k);
    const indexed = k > 1 && k <= MAX_INDEXED_K;
    this.order = indexed ? new Int32Array(k * (k - 1)) : null;
    this.lowDist = indexed ? new Float64Array(k * (k - 1)) : null;
    const keys = new Float64Array(Math.max(k - 1, 0));
    for (let a = 0; a < k; a++) {
      let nearest = Number.POSITIVE_INFINITY;
      let t = 0;
      for (let q = 0; q < k; q++) {
        if (q === a) continue;
        const d = this.centerDist2(a, q);
        if (d < nearest) nearest = d;
        if (indexed) keys[t++] = Math.floor(d * KEY_SCALE) * k + q;
      }
      this.halfGap[a] = 0.5 * Math.sqrt(nearest);
      if (this.order !== null && this.lowDist !== null) {
        keys.sort();
        const base = a * (k - 1);
        for (let s = 0; s < k - 1; s++) {
          const key = keys[s] as number;
          const q = key % k;
          this.order[base + s] = q;
          this.lowDist[base + s] = Math.sqrt((key - q) / k / KEY_SCALE);
        }
      }
    }
    if (indexed) {
      this.gridStart = new Int32Array(GRID * GRID * GRID);
      const step = 2 / GRID;
      for (let gx = 0, cell = 0; gx < GRID; gx++) {
        for (let gy = 0; gy < GRID; gy++) {
          for (let gz = 0; gz < GRID; gz++, cell++) {
            this.gridStart[cell] = this.bruteNearest(
              -1 + (gx + 0.5) * step,
              -1 + (gy + 0.5) * step,
              -1 + (gz + 0.5) * step,
            );
          }
        }
      }
    } else {
      this.gridStart = null;
    }
  }

  private centerDist2(a: number, q: number): number {
    const c = this.centers;
    const dx = (c[3 * a] as number) - (c[3 * q] as number);
    const dy = (c[3 * a + 1] as number) - (c[3 * q + 1] as number);
    const dz = (c[3 * a + 2] as number) - (c[3 * q + 2] as number);
    return dx * dx + dy * dy + dz * dz;
  }

  private bruteNearest(x: number, y: number, z: number): number {
    const c = this.centers;
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (let j = 0, o = 0; j < this.k; j++, o += 3) {
      const dx = x - (c[o] as number);
      const dy = y - (c[o + 1] as number);
      const dz = z - (c[o + 2] as number);
      const d = dx * dx + dy * dy + dz * dz;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    return best;
  }

  /** A center near (x, y, z), from the grid: a cheap starting point for {@link nearestTwo}. */
  guess(x: number, y: number, z: number): number {
    if (this.gridStart === null) return 0;
    const cell = (v: number) => {
      const g = Math.floor((v + 1) * (GRID / 2));
      return g < 0 ? 0 : g >= GRID ? GRID - 1 : g;
    };
    return this.gridStart[(cell(x) * GRID + cell(y)) * GRID + cell(z)] as number;
  }

  /**
   * The nearest center to (x, y, z) (lowest index on ties), starting the search from center
   * `start`. Writes the squared distances to the nearest and second-nearest centers to `out[0]`
   * and `out[1]` (Infinity when k = 1).
   */
  nearestTwo(x: number, y: number, z: number, start: number, out: Float64Array): number {
    const c = this.centers;
    const k = this.k;
    if (this.order === null || this.lowDist === null) return scanNearestTwo(x, y, z, c, k, out);
    const sx = x - (c[3 * start] as number);
    const sy = y - (c[3 * start + 1] as number);
    const sz = z - (c[3 * start + 2] as number);
    let d1 = sx * sx + sy * sy + sz * sz;
    const du = Math.sqrt(d1);
    let best = start;
    let d2 = Number.POSITIVE_INFINITY;
    let d2Root = Number.POSITIVE_INFINITY;
    const order = this.order;
    const lowDist = this.lowDist;
    const base = start * (k - 1);
    const end = base + k - 1;
    for (let s = base; s < end; s++) {
      // Every center from here on is at least lowDist - du from x: none can beat the second best.
      if ((lowDist[s] as number) - du > d2Root) break;
      const q = order[s] as number;
      const o = 3 * q;
      const dx = x - (c[o] as number);
      const dy = y - (c[o + 1] as number);
      const dz = z - (c[o + 2] as number);
      const d = dx * dx + dy * dy + dz * dz;
      if (d < d1 || (d === d1 && q < best)) {
        d2 = d1;
        d1 = d;
        best = q;
        d2Root = Math.sqrt(d2);
      } else if (d < d2) {
        d2 = d;
        d2Root = Math.sqrt(d2);
      }
    }
    out[0] = d1;
    out[1] = d2;
    return best;
  }
}

/**
 * Full scan over all `k` centers (xyz triples): returns the nearest (lowest index on ties) and
 * writes its squared distance to `out[0]` and the second-nearest's to `out[1]` (Infinity when k = 1).
 */
export function scanNearestTwo(
  x: number,
  y: number,
  z: number,
  centers: Float64Array,
  k: number,
  out: Float64Array,
): number {
  let best = 0;
  let d1 = Number.POSITIVE_INFINITY;
  let d2 = Number.POSITIVE_INFINITY;
  for (let j = 0, o = 0; j < k; j++, o += 3) {
    const dx = x - (centers[o] as number);
    const dy = y - (centers[o + 1] as number);
    const dz = z - (centers[o + 2] as number);
    const d = dx * dx + dy * dy + dz * dz;
    if (d < d1) {
      d2 = d1;
      d1 = d;
      best = j;
    } else if (d < d2) {
      d2 = d;
    }
  }
  out[0] = d1;
  out[1] = d2;
  return best;
}
