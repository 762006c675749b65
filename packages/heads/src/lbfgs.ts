/**
 * `@imagegpt/heads/lbfgs`: the L-BFGS minimizer `trainLinearProbe` fits its probes with.
 *
 * @packageDocumentation
 */

/** A differentiable objective: returns f(x) and writes ∇f(x) into `gradient`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

/** Settings of {@link minimizeLbfgs}; every one has a default suited to small convex problems. */
export interface LbfgsOptions {
  /** Stop after this many iterations (default 200). */
  maxIterations?: number;
  /** Correction pairs kept (default 10). */
  memory?: number;
  /** Converged when max |∇f| falls below this (default 1e-6). */
  gradientTolerance?: number;
  /** Converged when f decreases by less than this fraction of |f| in one step (default 1e-10). */
  relativeTolerance?: number;
  /** Called after every iteration. */
  onIteration?: (e: { iteration: number; value: number; gradientNorm: number }) => void;
}

/** Where {@link minimizeLbfgs} stopped. */
export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly converged: boolean;
}

const ARMIJO = 1e-4;
const MAX_BACKTRACKS = 40;

/**
 * Limited-memory BFGS with a backtracking (Armijo) line search: deterministic, no randomness,
 * enough for smooth convex objectives such as L2-regularised logistic regression. Curvature pairs
 * with sᵀy ≤ 0 are skipped, which keeps the implied Hessian positive definite without a
 * Wolfe line search.
 *
 * @example
 * // minimise (x - 3)²
 * const r = minimizeLbfgs((x, g) => { g[0] = 2 * (x[0]! - 3); return (x[0]! - 3) ** 2; }, new Float64Array(1));
 * r.x[0]; // ≈ 3
 */
export function minimizeLbfgs(
  objective: Objective,
  x0: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const maxIterations = options.maxIterations ?? 200;
  const memory = options.memory ?? 10;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const relativeTolerance = options.relativeTolerance ?? 1e-10;
  const n = x0.length;

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let value = objective(x, g);
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rho: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(memory);
  let xNext = new Float64Array(n);
  let gNext = new Float64Array(n);

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (maxAbs(g) < gradientTolerance) return { x, value, iterations: iteration - 1, converged: true };

    // Two-loop recursion: direction = -H·g with H the L-BFGS inverse-Hessian estimate.
    for (let i = 0; i < n; i++) direction[i] = -g[i]!;
    for (let k = sList.length - 1; k >= 0; k--) {
      const a = rho[k]! * dot(sList[k]!, direction);
      alpha[k] = a;
      axpy(-a, yList[k]!, direction);
    }
    if (sList.length > 0) {
      const last = sList.length - 1;
      scale(direction, dot(sList[last]!, yList[last]!) / dot(yList[last]!, yList[last]!));
    } else {
      // Without curvature information, a first step of unit length avoids wild overshoots.
      scale(direction, 1 / Math.max(1, Math.sqrt(dot(g, g))));
    }
    for (let k = 0; k < sList.length; k++) {
      const b = rho[k]! * dot(yList[k]!, direction);
      axpy(alpha[k]! - b, sList[k]!, direction);
    }

    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // The estimate went bad (rounding); fall back to steepest descent and forget the history.
      for (let i = 0; i < n; i++) direction[i] = -g[i]!;
      slope = -dot(g, g);
      sList.length = 0;
      yList.length = 0;
      rho.length = 0;
    }

    let step = 1;
    let valueNext = Number.NaN;
    let accepted = false;
    for (let tries = 0; tries < MAX_BACKTRACKS; tries++) {
      for (let i = 0; i < n; i++) xNext[i] = x[i]! + step * direction[i]!;
      valueNext = objective(xNext, gNext);
      if (Number.isFinite(valueNext) && valueNext <= value + ARMIJO * step * slope) {
        accepted = true;
        break;
      }
      step /= 2;
    }
    if (!accepted) return { x, value, iterations: iteration, converged: false };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNext[i]! - x[i]!;
      y[i] = gNext[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sList.length === memory) {
        sList.shift();
        yList.shift();
        rho.shift();
      }
      sList.push(s);
      yList.push(y);
      rho.push(1 / sy);
    }

    const decrease = value - valueNext;
    [x, xNext] = [xNext, x];
    [g, gNext] = [gNext, g];
    value = valueNext;
    options.onIteration?.({ iteration, value, gradientNorm: maxAbs(g) });
    if (decrease <= relativeTolerance * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration, converged: true };
    }
  }
  return { x, value, iterations: maxIterations, converged: maxAbs(g) < gradientTolerance };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + a * x[i]!;
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * a;
}

function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
