import { type JsonFail, JsonReader, type JsonValueText } from '@imagegpt/config/json';
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
      if (typeof x !== 'number' || !Number.isFinite(x)) throw nonFiniteComponent(where, field, i, c, x);
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
    if (!Number.isFinite(x)) throw nonFiniteComponent(where, field, Math.floor(i / 3), i % 3, x);
  }
}

/** The error for component `c` of cluster `i`, `x`, which is not a finite number. */
function nonFiniteComponent(
  where: { file?: string },
  field: string,
  i: number,
  c: number,
  x: unknown,
): ProcessorConfigError {
  return new ProcessorConfigError(`cluster ${i} has a non-finite component`, {
    ...where,
    field: `${field}[${i}][${c}]`,
    value: x,
    expected: 'a finite number',
  });
}

/** A value under `clusters` holding more JSON values than this is shown by its count, not parsed. */
const MAX_SHOWN_VALUES = 1000;

/**
 * Reads `clusters` from its JSON text (a member of `preprocessor_config.json`) straight into a
 * k×3 float64 palette, in one pass: no array is built per row, so a file of millions of rows (or
 * of millions of empty arrays) costs a scan. Accepts and refuses exactly what {@link parseClusters}
 * does on the parsed value, with the same fields in its errors; `null` stays `null` (no palette).
 */
export function readClustersJson(text: string, file?: string, field = 'clusters'): Float64Array | null {
  const where = file === undefined ? {} : { file };
  /** The value of a bad part, for the message: parsed when small, its size otherwise. */
  const shown = ({ text: json, values }: JsonValueText): unknown =>
    values <= MAX_SHOWN_VALUES ? JSON.parse(json) : `${values} JSON values`;
  const fail: JsonFail = (message) =>
    new ProcessorConfigError(`clusters is not valid JSON (${message})`, { ...where, field });
  const reader = new JsonReader(text, { fail });
  const kind = reader.peek();
  if (kind === 'null') return null;
  if (kind !== 'array') {
    return parseClusters(shown(reader.valueText()), file, field); // throws, naming the value
  }
  const values: number[] = [];
  let flat: boolean | undefined;
  let count = 0;
  reader.readArray((i) => {
    count++;
    const item = reader.peek();
    flat ??= item === 'number';
    if (flat && item === 'number') {
      values.push(reader.readNumber());
      return;
    }
    if (flat) {
      // A flat list with something else in it reads as rows, of which the first is bad.
      throw new ProcessorConfigError('cluster 0 is not a list of 3 numbers', {
        ...where,
        field: `${field}[0]`,
        value: values[0],
        expected: '[r, g, b] with finite numbers',
      });
    }
    const start = reader.offset;
    // At most three items are kept (a fourth makes the row bad); a non-number is kept small.
    const row: unknown[] = [];
    const badRow = (): never => {
      throw new ProcessorConfigError(`cluster ${i} is not a list of 3 numbers`, {
        ...where,
        field: `${field}[${i}]`,
        value: shown(new JsonReader(text.slice(start), { fail }).valueText()),
        expected: '[r, g, b] with finite numbers',
      });
    };
    if (item !== 'array') badRow();
    reader.readArray((c) => {
      if (c >= 3) badRow();
      row.push(reader.peek() === 'number' ? reader.readNumber() : shown(reader.valueText()));
    });
    if (row.length !== 3) badRow();
    for (const [c, x] of row.entries()) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw nonFiniteComponent(where, field, i, c, x);
    }
    values.push(...(row as number[]));
  });
  reader.end();
  if (count === 0) return parseClusters([], file, field);
  if (flat) return parseClusters(values, file, field);
  return Float64Array.from(values);
}
