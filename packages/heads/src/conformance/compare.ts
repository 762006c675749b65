/** One compared output of a conformance run, in CONFORMANCE.md's JSON shape. */
export interface ConformanceOutput {
  name: string;
  /** Largest |got − ref| over compared finite entries (floats); null for integers. */
  maxAbsErr: number | null;
  /** Count of entries that differ (integers) or fail allclose / the −inf pattern (floats). */
  mismatches: number | null;
  atol: number | null;
  rtol: number | null;
  pass: boolean;
  note?: string;
}

type Numeric = ArrayLike<number> | BigInt64Array;

/**
 * numpy-style allclose, element-wise `|got − ref| ≤ atol + rtol·|ref|`. −inf in the reference must
 * be −inf in `got` in the same places and is left out of the error figure. `include` picks the
 * compared entries (padded query positions are left out that way).
 */
export function compareFloats(
  name: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  atol: number,
  rtol: number,
  include?: (index: number) => boolean,
): ConformanceOutput {
  if (got.length !== ref.length) {
    return failShape(name, got.length, ref.length, atol, rtol);
  }
  let maxAbsErr = 0;
  let mismatches = 0;
  let compared = 0;
  for (let i = 0; i < ref.length; i++) {
    if (include && !include(i)) continue;
    compared++;
    const r = ref[i]!;
    const g = got[i]!;
    if (r === Number.NEGATIVE_INFINITY || g === Number.NEGATIVE_INFINITY) {
      if (r !== g) mismatches++;
      continue;
    }
    const err = Math.abs(g - r);
    if (!(err <= atol + rtol * Math.abs(r))) mismatches++;
    if (err > maxAbsErr || Number.isNaN(err)) maxAbsErr = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
  }
  const out: ConformanceOutput = { name, maxAbsErr, mismatches, atol, rtol, pass: mismatches === 0 };
  if (compared < ref.length) out.note = `${ref.length - compared} padded-query entries left out`;
  return out;
}

/** Exact comparison for integer outputs (token ids, resized values): reports mismatches. */
export function compareIntegers(name: string, got: Numeric, ref: Numeric): ConformanceOutput {
  if (got.length !== ref.length) return failShape(name, got.length, ref.length, null, null);
  let mismatches = 0;
  for (let i = 0; i < ref.length; i++) if (Number(got[i]) !== Number(ref[i])) mismatches++;
  return { name, maxAbsErr: null, mismatches, atol: null, rtol: null, pass: mismatches === 0 };
}

/** Exact comparison for float outputs without a tolerance (processor `pixels`). */
export function compareExactFloats(
  name: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
): ConformanceOutput {
  const out = compareFloats(name, got, ref, 0, 0);
  out.atol = 0;
  out.rtol = 0;
  return out;
}

function failShape(
  name: string,
  got: number,
  ref: number,
  atol: number | null,
  rtol: number | null,
): ConformanceOutput {
  return {
    name,
    maxAbsErr: null,
    mismatches: null,
    atol,
    rtol,
    pass: false,
    note: `size mismatch: computed ${got} elements, reference has ${ref}`,
  };
}
