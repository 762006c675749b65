import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sharedPath } from '@imagegpt/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pythonFloat, toHfJsonString } from './hf-json.js';

const GOLDEN_DIR = sharedPath('golden');

/** The fields HF stores as floats in the golden JSON files (a parsed number forgets `1.0` vs `1`). */
const FLOAT_KEYS = new Set([
  'attn_pdrop',
  'clusters',
  'embd_pdrop',
  'initializer_range',
  'layer_norm_epsilon',
  'resid_pdrop',
  'temperature',
  'top_p',
]);

/** Every JSON file HF wrote in the golden set (configs, generation and preprocessor configs). */
function goldenJsonFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (
        entry.name.endsWith('.json') &&
        entry.name !== 'meta.json' &&
        !entry.name.endsWith('index.json')
      )
        files.push(path);
    }
  };
  walk(GOLDEN_DIR);
  return files;
}

describe('toHfJsonString (HF to_json_string: json.dumps(indent=2, sort_keys=True) + newline)', () => {
  const files = goldenJsonFiles();

  it('finds the golden JSON files', () => {
    expect(files.some((f) => f.endsWith('preprocessor_config.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('/config.json'))).toBe(true);
  });

  for (const file of files) {
    it(`rewrites ${relative(GOLDEN_DIR, file)} byte for byte`, () => {
      const text = readFileSync(file, 'utf8');
      const json: unknown = JSON.parse(text);
      expect(toHfJsonString(json, { isFloat: (path) => FLOAT_KEYS.has(String(path[0])) })).toBe(text);
    });
  }

  it('sorts keys, escapes non-ASCII as Python does, and writes empty containers inline', () => {
    expect(toHfJsonString({ b: [], a: {}, é: 'naïve "q"\n\u007f😀' })).toBe(
      '{\n  "a": {},\n  "b": [],\n  "\\u00e9": "na\\u00efve \\"q\\"\\n\\u007f\\ud83d\\ude00"\n}\n',
    );
    expect(toHfJsonString([1, 1.5, null, true])).toBe('[\n  1,\n  1.5,\n  null,\n  true\n]\n');
    expect(toHfJsonString({ x: [2, 3] }, { isFloat: (p) => p[0] === 'x' && p[1] === 1 })).toBe(
      '{\n  "x": [\n    2,\n    3.0\n  ]\n}\n',
    );
    expect(toHfJsonString({ skipped: undefined, kept: 0 })).toBe('{\n  "kept": 0\n}\n');
  });

  it('refuses what JSON cannot hold, naming where', () => {
    expect(() => toHfJsonString({ a: [Number.NaN] })).toThrow(/"a\.0" is NaN/);
    expect(() => toHfJsonString({ f: () => 1 })).toThrow(/"f" is a function/);
  });
});

describe('pythonFloat (repr of a Python float)', () => {
  it('writes what Python writes', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [-2, '-2.0'],
      [0, '0.0'],
      [-0, '-0.0'],
      [0.1, '0.1'],
      [0.02, '0.02'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1.5e-7, '1.5e-07'],
      [123.456, '123.456'],
      [100, '100.0'],
      [1e15, '1000000000000000.0'],
      [1234567890123456, '1234567890123456.0'],
      [1e16, '1e+16'],
      [2.5e20, '2.5e+20'],
      [1e22, '1e+22'],
      [0.30000000000000004, '0.30000000000000004'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [-0.655807375907898, '-0.655807375907898'],
    ];
    for (const [v, text] of cases) expect(pythonFloat(v)).toBe(text);
  });

  it('reads back to the same double, in Python repr form, for any finite double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const text = pythonFloat(v);
        expect(Object.is(Number(text), v)).toBe(true);
        expect(text).toMatch(/^-?(\d+\.\d+|\d(\.\d+)?e[+-]\d{2,3})$/);
      }),
    );
  });
});
