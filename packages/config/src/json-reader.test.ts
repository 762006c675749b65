import { flippedText } from '@imagegpt/test-kit/hostile';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonReader, readJsonMembers } from './json-reader.js';

class JsonTestError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly key?: string,
  ) {
    super(message);
  }
}

const fail = (message: string, offset: number, key?: string) => new JsonTestError(message, offset, key);

/** Whether the reader accepts `text` as one JSON value (skipped whole). */
function readerAccepts(text: string, maxDepth = 1000): boolean {
  try {
    const reader = new JsonReader(text, { fail, maxDepth });
    reader.skipValue();
    reader.end();
    return true;
  } catch (e) {
    if (e instanceof JsonTestError) return false;
    throw e;
  }
}

function parseAccepts(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('JsonReader', () => {
  it('accepts exactly what JSON.parse accepts', () => {
    const texts = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v, null, 1)),
      fc.jsonValue({ maxDepth: 3 }).chain((v) => flippedText(JSON.stringify(v) || 'null')),
      fc.string({ maxLength: 30 }),
      fc.constantFrom(
        '',
        ' ',
        '01',
        '-',
        '1.',
        '.5',
        '1e',
        '1e+',
        '-0',
        '"\\u12"',
        '"\\x"',
        '"\u0001"',
        '[1,]',
        '{"a"}',
        '{"a":1,}',
        'nul',
        'true false',
        '"\\ud800"',
      ),
    );
    fc.assert(
      fc.property(texts, (text) => {
        expect(readerAccepts(text)).toBe(parseAccepts(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the values it is asked for, as JSON.parse would', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), (object) => {
        const members = readJsonMembers(JSON.stringify(object), { fail });
        expect([...members.keys()]).toEqual(Object.keys(object));
        // Through text -0 becomes 0, so compare with what JSON.parse makes of the same text.
        const parsed = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
        for (const [key, { text }] of members) expect(JSON.parse(text)).toEqual(parsed[key]);
      }),
      { numRuns: 500 },
    );
    const reader = new JsonReader(' {"s": "a\\n\\u00e9", "n": -1.5e2, "xs": [1, [2]], "t": true} ', { fail });
    const seen: unknown[] = [];
    reader.readObject((key) => {
      if (key === 's') seen.push(reader.readString());
      if (key === 'n') seen.push(reader.readNumber());
      if (key === 'xs') reader.readArray((i) => seen.push(i)); // the items are skipped
    });
    reader.end();
    expect(seen).toEqual(['a\né', -150, 0, 1]);
  });

  it('counts the values it skips', () => {
    const count = (text: string) => new JsonReader(text, { fail }).valueText().values;
    expect(count('1')).toBe(1);
    expect(count('[]')).toBe(1);
    expect(count('[[], 1, {"a": [null]}]')).toBe(6);
    expect(count(`[${Array(1000).fill('[]').join(',')}]`)).toBe(1001);
  });

  it('keeps a repeated key in its first place with its last value, as JSON.parse does', () => {
    const text = '{"a": 1, "b": 2, "a": 3}';
    const members = readJsonMembers(text, { fail });
    expect([...members].map(([key, { text }]) => [key, text])).toEqual([
      ['a', '3'],
      ['b', '2'],
    ]);
    expect(Object.entries(JSON.parse(text))).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('refuses nesting past its limit, naming the offset and the top-level key, without recursion', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(readerAccepts(deep(64), 64)).toBe(true);
    expect(readerAccepts(deep(65), 64)).toBe(false);
    // A million levels: refused at the 65th, whatever follows.
    const error = (() => {
      try {
        readJsonMembers(`{"ok": 1, "junk": ${deep(1_000_000)}}`, { fail, maxDepth: 64 });
      } catch (e) {
        return e as JsonTestError;
      }
      throw new Error('accepted');
    })();
    expect([error.message, error.key, error.offset]).toEqual([
      'arrays and objects nest more than 64 deep',
      'junk',
      18 + 63,
    ]);
  });

  it('scans millions of skipped values without building them', () => {
    // 16 MiB of empty arrays under one key: what JSON.parse turns into 5.6 million arrays.
    const n = 5_600_000;
    const text = `{"n_embd": 16, "junk": [${'[],'.repeat(n - 1)}[]]}`;
    const before = process.memoryUsage().heapUsed;
    const members = readJsonMembers(text, { fail });
    const grew = process.memoryUsage().heapUsed - before;
    expect(members.get('junk')?.values).toBe(n + 1);
    // The members hold slices of the text; nothing per skipped value (JSON.parse would need ~200 MB).
    expect(grew).toBeLessThan(32 * 1024 * 1024);
  });

  it('names what it found and where, one character at most', () => {
    const message = (text: string) => {
      try {
        readJsonMembers(text, { fail });
      } catch (e) {
        return `${(e as Error).message} @${(e as JsonTestError).offset}`;
      }
      return 'accepted';
    };
    expect(message('[1]')).toBe('expected a JSON object, found an array @0');
    expect(message('{"a": tru}')).toBe('expected a JSON value, found "t" @6');
    expect(message(`{"a": "${'x'.repeat(1_000_000)}`)).toBe(
      'the text ends early (a string is not closed) @1000007',
    );
    expect(message('{"a": 1} x')).toBe('expected the end of the text, found "x" @9');
  });
});
