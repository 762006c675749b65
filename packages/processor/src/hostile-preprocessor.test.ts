// Hostile preprocessor_config.json inputs: the reader answers with a ProcessorConfigError (or a
// usable processor) within the tally's budget, never another error type, a hang or a crash.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flippedText, HostileTally, type Outcome } from '@imagegpt/test-kit/hostile';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageError, ImageGPTImageProcessor, ProcessorConfigError } from './index.js';

// A ProcessorConfigError, or an ImageError for images pushed through an accepted processor, is a
// typed answer; anything else thrown, or a case over the budget, fails the test.
const tally = new HostileTally(
  (e): e is ProcessorConfigError | ImageError => e instanceof ProcessorConfigError || e instanceof ImageError,
  'a ProcessorConfigError',
);

function attempt<T>(label: string, run: () => T): Outcome<T, ProcessorConfigError | ImageError> {
  return tally.attempt(label, run);
}

/** The case must be refused with a ProcessorConfigError; returns it for assertions. */
function refused(label: string, run: () => unknown): ProcessorConfigError {
  const outcome = attempt(label, run);
  if (outcome.kind !== 'typed') throw new Error(`${label}: was accepted, expected a ProcessorConfigError`);
  if (!(outcome.error instanceof ProcessorConfigError))
    throw new Error(`${label}: ${outcome.error.name}, expected a ProcessorConfigError`);
  expect(outcome.error.message.length).toBeLessThan(400);
  expect(outcome.error.message).toMatch(/^image processor config/);
  return outcome.error;
}

const assetPath = fileURLToPath(
  new URL('../../models/assets/igpt-mnist-16/preprocessor_config.json', import.meta.url),
);
const realText = readFileSync(assetPath, 'utf8');
const real = JSON.parse(realText) as { clusters: number[][] } & Record<string, unknown>;
const fromJSON = (json: unknown) => ImageGPTImageProcessor.fromJSON(json, 'preprocessor_config.json');

/** Anything that is not a finite number, as JSON or as a JS value handed to fromJSON. */
const notFinite = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    null,
    true,
    '0',
    '',
    '-0.5',
    'NaN',
  ),
  fc.string({ maxLength: 8 }),
  fc.array(fc.double(), { maxLength: 3 }),
  fc.constant({}),
);

describe('clusters that are wrong', () => {
  it('refuses rows that are not k×3, naming the row', () => {
    const badRow = fc.oneof(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 8 }).filter((r) => r.length !== 3),
      fc.constantFrom('abc', 7, null, {}, true),
    );
    fc.assert(
      fc.property(fc.nat({ max: real.clusters.length - 1 }), badRow, (at, row) => {
        const clusters = real.clusters.map((r, i) => (i === at ? row : r));
        const error = refused(`clusters[${at}]=${JSON.stringify(row)}`, () =>
          fromJSON({ ...real, clusters }),
        );
        expect(error.field).toBe(`clusters[${at}]`);
        expect(error.file).toBe('preprocessor_config.json');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses NaN, infinities and strings inside a cluster, naming the component', () => {
    fc.assert(
      fc.property(fc.nat({ max: real.clusters.length - 1 }), fc.nat({ max: 2 }), notFinite, (at, c, x) => {
        const clusters = real.clusters.map((r, i) => (i === at ? r.map((v, j) => (j === c ? x : v)) : r));
        const error = refused(`clusters[${at}][${c}]=${String(x)}`, () => fromJSON({ ...real, clusters }));
        expect(error.field).toBe(`clusters[${at}][${c}]`);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a flat list whose length is not a multiple of 3, or that holds non-numbers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }),
        (flat) => {
          fc.pre(flat.length % 3 !== 0);
          expect(refused(`flat ${flat.length}`, () => fromJSON({ ...real, clusters: flat })).field).toBe(
            'clusters',
          );
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat({ max: 47 }), notFinite, (at, x) => {
        const flat: unknown[] = real.clusters.flat();
        flat[at] = x;
        refused(`flat[${at}]=${String(x)}`, () => fromJSON({ ...real, clusters: flat }));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses clusters that are missing, empty or not a list while quantizing is on', () => {
    for (const clusters of [undefined, null, [], {}, 'clusters', 3, true, [[]]]) {
      expect(
        refused(`clusters=${JSON.stringify(clusters)}`, () => fromJSON({ ...real, clusters })).field,
      ).toMatch(/^clusters/);
    }
  });

  it('answers a huge k at once: a million clusters, or ten million numbers in a flat list off by one', () => {
    const million = Array.from({ length: 1_000_000 }, (_, i) => [((i % 200) - 100) / 100, 0, 0]);
    const outcome = attempt('k = 1e6', () => fromJSON({ ...real, clusters: million }));
    if (outcome.kind === 'accepted') expect(outcome.value.numClusters).toBe(1_000_000);
    const flat = new Array<number>(10_000_001).fill(0.5);
    expect(refused('flat 10_000_001', () => fromJSON({ ...real, clusters: flat })).value).toBe(10_000_001);
  });

  it('gives a typed error, not a stack overflow, for clusters nested 100 000 deep', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    refused('clusters nested 100000 deep', () => fromJSON({ ...real, clusters: deep }));
    refused('clusters nested 100000 deep (text)', () =>
      ImageGPTImageProcessor.parse(`{"clusters": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    );
  });
});

describe('other keys that are wrong', () => {
  it('refuses bad sizes, resample filters and flags, naming the field', () => {
    const cases = fc.oneof(
      fc.tuple(
        fc.constant('size'),
        fc.oneof(
          fc.integer({ max: 0 }),
          fc.constantFrom(
            '32',
            1.5,
            Number.NaN,
            [1],
            [1, 2, 3],
            { shortest_edge: 8 },
            { height: 0, width: 4 },
            { height: 4, width: -4 },
            { height: '4', width: 4 },
          ),
        ),
      ),
      fc.tuple(
        fc.constant('resample'),
        fc.oneof(
          fc.integer().filter((n) => n < 0 || n > 5),
          fc.constantFrom('2', 'bilinear', 2.5, true),
        ),
      ),
      fc.tuple(
        fc.constantFrom('do_resize', 'do_normalize', 'do_color_quantize'),
        fc.oneof(fc.string(), fc.integer(), fc.constantFrom('true', 0, 1, [], {})),
      ),
    );
    fc.assert(
      fc.property(cases, ([field, value]) => {
        const error = refused(`${field}=${JSON.stringify(value)}`, () =>
          fromJSON({ ...real, [field]: value }),
        );
        expect(error.field?.replace(/[.[].*$/, '')).toBe(field);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a size it cannot preprocess into: a typed error at load or at use, not a RangeError', () => {
    const tiny = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12) };
    for (const size of [100_000, 2 ** 30, { height: 1e15, width: 1e15 }, [65_536, 65_536]]) {
      attempt(`size=${JSON.stringify(size)} then preprocess`, () =>
        fromJSON({ ...real, size }).preprocess(tiny),
      );
    }
  });
});

describe('clusters read from text in one pass', () => {
  /** What each reader makes of one value: the palette, or the error's field and message. */
  const outcomeOf = (read: () => Float64Array): unknown => {
    try {
      return Array.from(read());
    } catch (e) {
      if (!(e instanceof ProcessorConfigError)) throw e;
      return { field: e.field, message: e.message };
    }
  };

  it('accepts and refuses exactly what parseClusters does, with the same errors', () => {
    const cell = fc.oneof(
      { weight: 8, arbitrary: fc.double({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
    );
    const clusters = fc.oneof(
      fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { maxLength: 5 }),
      fc.array(cell, { maxLength: 9 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    fc.assert(
      fc.property(clusters, (value) => {
        // JSON has no -0 after a round trip, nor NaN: compare on what the text holds.
        const text = JSON.stringify(value);
        const parsed = JSON.parse(text) as unknown;
        const fromText = outcomeOf(
          () => ImageGPTImageProcessor.parse(`{"clusters": ${text}}`, 'p.json').clusters,
        );
        const fromValue = outcomeOf(() => fromJSON({ clusters: parsed }).clusters);
        expect(fromText).toEqual(
          typeof fromValue === 'object' && fromValue !== null && 'message' in fromValue
            ? {
                ...fromValue,
                message: (fromValue.message as string).replace('preprocessor_config.json', 'p.json'),
              }
            : fromValue,
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('reads many rows, and refuses millions of empty rows, without building them', () => {
    const rows = 200_000;
    const outcome = attempt('200k clusters', () =>
      ImageGPTImageProcessor.parse(`{"clusters": [${'[0.5,-0.25,1],'.repeat(rows - 1)}[0,0,0]]}`),
    );
    expect(outcome.kind === 'accepted' && outcome.value.numClusters).toBe(rows);
    const error = refused('5M empty rows', () =>
      ImageGPTImageProcessor.parse(`{"clusters": [${'[],'.repeat(5_000_000)}[]]}`, 'p.json'),
    );
    expect(error.message).toBe(
      'image processor config in p.json: cluster 0 is not a list of 3 numbers: "clusters[0]" is []; expected [r, g, b] with finite numbers',
    );
    expect(
      refused('5M empty arrays as size', () =>
        ImageGPTImageProcessor.parse(`{"size": [${'[],'.repeat(5_000_000)}[]]}`, 'p.json'),
      ).message,
    ).toBe(
      'image processor config in p.json: "size" holds 5000002 JSON values: "size" is missing; expected a setting of at most 16 values',
    );
  });
});

describe('files that are random', () => {
  it('any JSON value: a ProcessorConfigError or a processor that can encode and decode', () => {
    const image = {
      width: 3,
      height: 2,
      channels: 3 as const,
      data: Uint8Array.from({ length: 18 }, (_, i) => i * 14),
    };
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => {
        const outcome = attempt('random JSON value', () => fromJSON(json));
        if (json === null || typeof json !== 'object' || Array.isArray(json))
          expect(outcome.kind).toBe('typed');
        if (
          outcome.kind === 'accepted' &&
          outcome.value.numClusters > 0 &&
          outcome.value.size.width * outcome.value.size.height <= 4096
        ) {
          const processor = outcome.value;
          const use = attempt('use random processor', () => processor.encode([image]));
          if (use.kind === 'accepted') {
            const [ids] = use.value;
            expect(ids?.every((id) => id >= 0 && id < processor.numClusters)).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the real file with one key replaced by a random JSON value: a typed error or a usable processor', () => {
    const image = {
      width: 5,
      height: 4,
      channels: 3 as const,
      data: Uint8Array.from({ length: 60 }, (_, i) => (i * 37) % 256),
    };
    const keys = fc.oneof(
      fc.constantFrom('clusters', 'size', 'resample', 'do_resize', 'do_normalize', 'do_color_quantize'),
      fc.string(),
    );
    fc.assert(
      fc.property(keys, fc.jsonValue({ maxDepth: 3 }), (key, value) => {
        const outcome = attempt(`${key}=random`, () =>
          ImageGPTImageProcessor.parse(JSON.stringify({ ...real, [key]: value })),
        );
        if (outcome.kind === 'accepted' && outcome.value.size.width * outcome.value.size.height <= 4096) {
          const processor = outcome.value;
          attempt('use mutated processor', () => processor.preprocess(image));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the real file truncated at every offset or with random byte flips never crashes', () => {
    const full = realText.trimEnd();
    for (let cut = 0; cut < full.length; cut += 7) {
      refused(`truncated at ${cut}`, () =>
        ImageGPTImageProcessor.parse(full.slice(0, cut), 'preprocessor_config.json'),
      );
    }
    fc.assert(
      fc.property(flippedText(full), (text) => {
        const outcome = attempt('byte flips', () => ImageGPTImageProcessor.parse(text));
        if (outcome.kind === 'accepted')
          expect(Number.isFinite(outcome.value.clusters.reduce((a, b) => a + b, 0))).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        attempt('random text', () => ImageGPTImageProcessor.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

afterAll(() => {
  console.log(tally.summary('preprocessor_config.json', 'ProcessorConfigError/ImageError'));
});
