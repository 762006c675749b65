import { ProcessorConfigError } from './processor-config-error.js';

/**
 * Reads a colour palette from JSON: either `[[r, g, b], ...]` (what HF writes) or a flat
 * `[r, g, b, r, g, b, ...]` list, in ImageGPT's normalised `[-1, 1]` space. Returns the values
 * as float64, row-major k×3. Throws a {@link ProcessorConfigError} naming `clusters` and the bad
 * index or value.
 */
export function parseClusters(value: unknown, file?: string, field = 'clusters'): Float64Array {
  const where = file === undefined ? {} : { file };
  if (!Array.isArray(value)) {
    throw new ProcessorConfigError('clusters must be a list', {
      ...where,
      field,
      value,
      expected: 'a k×3 list of finite numbers',
    });
  }
  if (value.length === 0) {
    throw new ProcessorConfigError('clusters is empty', {
      ...where,
      field,
      value,
      expected: 'at least one [r, g, b] cluster',
    });
  }
  if (value.every((row) => typeof row === 'number')) {
    if (value.length % 3 !== 0) {
      throw new ProcessorConfigError(
        `a flat clusters list has ${value.length} numbers, not a multiple of 3`,
        {
          ...where,
          field,
          value: value.length,
          expected: 'k×3 numbers',
        },
      );
    }
    const flat = Float64Array.from(value as number[]);
    assertFiniteClusters(flat, file, field);
    return flat;
  }
  const out = new Float64Array(value.length * 3);
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== 3) {
      throw new ProcessorConfigError(`cluster ${i} is not a list of 3 numbers`, {
        ...where,
        field: `${field}[${i}]`,
        value: row,
        expected: '[r, g, b] with finite numbers',
      });
    }
    row.forEach((x: unknown, c) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new ProcessorConfigError(`cluster ${i} has a non-finite component`, {
          ...where,
          field: `${field}[${i}][${c}]`,
          value: x,
          expected: 'a finite number',
        });
      }
      out[i * 3 + c] = x;
    });
  });
  return out;
}

/** Checks a k×3 palette held in a typed array: length a positive multiple of 3, all finite. */
export function assertFiniteClusters(
  clusters: Float64Array | Float32Array,
  file?: string,
  field = 'clusters',
): void {
  const where = file === undefined ? {} : { file };
  if (clusters.length === 0 || clusters.length % 3 !== 0) {
    throw new ProcessorConfigError(`clusters has ${clusters.length} values, not a positive multiple of 3`, {
      ...where,
      field,
      value: clusters.length,
      expected: 'k×3 values (k >= 1)',
    });
  }
  for (let i = 0; i < clusters.length; i++) {
    const x = clusters[i] as number;
    if (!Number.isFinite(x)) {
      throw new ProcessorConfigError(`cluster ${Math.floor(i / 3)} has a non-finite component`, {
        ...where,
        field: `${field}[${Math.floor(i / 3)}][${i % 3}]`,
        value: x,
        expected: 'a finite number',
      });
    }
  }
}
