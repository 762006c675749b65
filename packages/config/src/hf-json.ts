/** Options for {@link toHfJsonString}. */
export interface HfJsonOptions {
  /**
   * Whether the number at `path` (keys and list indices from the root) is a Python float. A JSON
   * number parsed in JavaScript no longer says whether it was written `1` or `1.0`, so the caller
   * names the fields that are floats (a palette's clusters, `layer_norm_epsilon`). Numbers that
   * are not integers are always floats. Default: none.
   */
  readonly isFloat?: (path: readonly (string | number)[]) => boolean;
}

/**
 * Serialises `value` byte for byte as Hugging Face's `to_json_string` does:
 * `json.dumps(value, indent=2, sort_keys=True) + "\n"`, so a file written here diffs cleanly
 * against one written by Python. What differs from `JSON.stringify(value, null, 2)`:
 *  - keys sorted (by code point, as Python sorts `str`);
 *  - floats as Python's `repr`: `1.0`, `1e-05`, `1e+16`, while integers stay `1`
 *    (see {@link HfJsonOptions.isFloat});
 *  - non-ASCII characters escaped as `\uXXXX` (Python's `ensure_ascii`);
 *  - an empty list or object written `[]` / `{}`.
 * Throws a `TypeError` on values JSON cannot hold (non-finite numbers, functions, bigints).
 *
 * @example
 * toHfJsonString({ b: 1, a: 1e-5, size: { height: 8 } }, { isFloat: (p) => p[0] === 'a' });
 * // '{\n  "a": 1e-05,\n  "b": 1,\n  "size": {\n    "height": 8\n  }\n}\n'
 */
export function toHfJsonString(value: unknown, options: HfJsonOptions = {}): string {
  const isFloat = options.isFloat ?? (() => false);
  const path: (string | number)[] = [];
  const write = (v: unknown, indent: string): string => {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return pythonString(v);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`${where(path)} is ${v}, which JSON cannot hold`);
      return Number.isInteger(v) && !isFloat(path) ? pythonInt(v) : pythonFloat(v);
    }
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const items = v.map((item, i) => {
        path.push(i);
        const text = write(item, inner);
        path.pop();
        return `${inner}${text}`;
      });
      return `[\n${items.join(',\n')}\n${indent}]`;
    }
    if (typeof v === 'object') {
      const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
      if (keys.length === 0) return '{}';
      keys.sort(compareCodePoints);
      const items = keys.map((key) => {
        path.push(key);
        const text = write((v as Record<string, unknown>)[key], inner);
        path.pop();
        return `${inner}${pythonString(key)}: ${text}`;
      });
      return `{\n${items.join(',\n')}\n${indent}}`;
    }
    throw new TypeError(`${where(path)} is a ${typeof v}, which JSON cannot hold`);
  };
  return `${write(value, '')}\n`;
}

function where(path: readonly (string | number)[]): string {
  return path.length === 0 ? 'the value' : `"${path.join('.')}"`;
}

/** Python sorts `str` keys by code point; UTF-16 order differs only above the BMP. */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}

function pythonInt(v: number): string {
  // An integer past 2^53 (or 1e21, where toString switches to exponents) still prints every digit in Python.
  return Object.is(v, -0) ? '0' : BigInt(v).toString();
}

/**
 * Python's `repr(float)`: the shortest digits that read back to the same double (JavaScript's
 * `toExponential()` gives the same digits), in fixed notation when the decimal exponent is in
 * -4..15 (with at least one digit after the point), in scientific notation otherwise with a signed
 * exponent of at least two digits.
 */
export function pythonFloat(v: number): string {
  if (!Number.isFinite(v)) throw new TypeError(`${v} is not a finite number`);
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const sign = v < 0 ? '-' : '';
  const [mantissa, exp] = Math.abs(v).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const mag = String(Math.abs(e)).padStart(2, '0');
    return `${sign}${digits[0]}${frac}e${e < 0 ? '-' : '+'}${mag}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, '0');
  const frac = digits.slice(e + 1);
  return `${sign}${whole}.${frac === '' ? '0' : frac}`;
}

/** A JSON string as Python's `json.dumps` writes it with `ensure_ascii` (every code unit above 0x7e escaped). */
function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}
