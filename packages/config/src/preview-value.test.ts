import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { previewValue } from './preview-value.js';

describe('previewValue', () => {
  it('matches JSON.stringify for small JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const json = JSON.stringify(value);
        // maxDepth 3 nests at most 3 containers, within what the preview shows in full.
        fc.pre(json.length <= 80);
        expect(previewValue(value)).toBe(json);
      }),
      { numRuns: 300 },
    );
    expect(previewValue({ a: [1, 'x'], b: null })).toBe('{"a":[1,"x"],"b":null}');
  });

  it('shows the faults JSON would hide: NaN, infinities, functions, typed arrays', () => {
    expect([Number.NaN, Number.NEGATIVE_INFINITY, 10n].map((v) => previewValue(v))).toEqual([
      'NaN',
      '-Infinity',
      '10n',
    ]);
    expect(previewValue([() => 1, new Float64Array([0.5, 2])])).toBe('[[function],[0.5,2]]');
  });

  it('cuts long and deep values to the limit without walking or recursing through them', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(previewValue(deep)).toBe('[[[[[...]]]]]');
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(previewValue(cycle)).toBe('{"a":1,"self":{"a":1,"self":{"a":1,"self":{"a":1,"self":{...}}}}}');
    // Count the element reads: the preview must stop at what it shows, not walk 20 million entries.
    let reads = 0;
    const rest = new Proxy(new Array(20_000_000).fill(1), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(previewValue({ rest })).toBe(`{"rest":[${'1,'.repeat(34)}...`);
    expect(reads).toBeLessThan(40);
    const long = previewValue({ k: 'x'.repeat(20_000_000), rest });
    expect(long).toBe(`{"k":"${'x'.repeat(71)}...`);
    expect(long).toHaveLength(80);
    expect(previewValue(new Array(1000).fill(7), 12)).toBe('[7,7,7,7,...');
  });

  it('never throws, even on a getter that does', () => {
    const hostile = Object.defineProperty({}, 'x', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(previewValue(hostile)).toBe('[object]');
  });
});
