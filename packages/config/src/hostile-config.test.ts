// Hostile config.json inputs: whatever arrives, the reader answers with a ConfigError (or a valid
// config) within the tally's budget, never another error type, a hang or an out-of-memory crash.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flippedText, HostileTally, type Outcome } from '@imagegpt/test-kit/hostile';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ACTIVATION_FUNCTIONS, ConfigError, ImageGPTConfig, MAX_POSITIONS } from './index.js';

const tally = new HostileTally((e): e is ConfigError => e instanceof ConfigError, 'a ConfigError');

/** Runs one case and counts it: a ConfigError or a config, nothing else, within the budget. */
function attempt(label: string, run: () => ImageGPTConfig): Outcome<ImageGPTConfig, ConfigError> {
  return tally.attempt(label, run);
}

/** The case must be refused; returns the error for assertions on what it names. */
function refused(label: string, run: () => ImageGPTConfig): ConfigError {
  const outcome = attempt(label, run);
  if (outcome.kind !== 'typed') throw new Error(`${label}: was accepted, expected a ConfigError`);
  // Messages stay one readable line even when the offending value is enormous.
  expect(outcome.error.message.length).toBeLessThan(400);
  expect(outcome.error.message).toMatch(/^ImageGPT config/);
  return outcome.error;
}

const assetConfig = fileURLToPath(new URL('../../models/assets/igpt-mnist-16/config.json', import.meta.url));
const realText = readFileSync(assetConfig, 'utf8');
const real = JSON.parse(realText) as Record<string, unknown>;

/** The real config less some keys, so an alias can stand in for them without a conflict. */
function realWithout(...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(real).filter(([key]) => !keys.includes(key)));
}

const SIZE_FIELDS = [
  'vocab_size',
  'n_positions',
  'n_embd',
  'n_layer',
  'n_head',
  'n_inner',
  'num_labels',
] as const;
const NUMBER_FIELDS = [
  ...SIZE_FIELDS,
  'layer_norm_epsilon',
  'initializer_range',
  'resid_pdrop',
  'embd_pdrop',
  'attn_pdrop',
] as const;
const FLAG_FIELDS = [
  'scale_attn_weights',
  'use_cache',
  'tie_word_embeddings',
  'scale_attn_by_inverse_layer_idx',
  'reorder_and_upcast_attn',
] as const;

/** Values of any JSON type but a number (null included: only n_inner may be null, handled below). */
const notANumber = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
  fc.integer().map(String),
);
const notABoolean = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.constant(null),
  fc.constantFrom('true', 'false', 0, 1),
  fc.array(fc.boolean(), { maxLength: 3 }),
);

describe('config.json that is wrong', () => {
  it('refuses a wrong type in every numeric field, naming the field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMBER_FIELDS), notANumber, (field, value) => {
        fc.pre(!(field === 'n_inner' && value === null));
        const error = refused(`${field}=${JSON.stringify(value)}`, () =>
          ImageGPTConfig.fromJSON({ ...real, [field]: value }, 'config.json'),
        );
        expect(error.field).toBe(field);
        expect(error.file).toBe('config.json');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a wrong type in every flag and in activation_function, model_type, architectures, labels', () => {
    const cases = fc.oneof(
      fc.tuple(fc.constantFrom(...FLAG_FIELDS), notABoolean),
      fc.tuple(
        fc.constant('activation_function'),
        fc.oneof(
          fc
            .string({ maxLength: 12 })
            .filter((s) => !(ACTIVATION_FUNCTIONS as readonly string[]).includes(s)),
          fc.integer(),
          fc.constant(null),
          fc.constantFrom('GELU', 'quick-gelu', ' relu'),
        ),
      ),
      fc.tuple(
        fc.constant('model_type'),
        fc.oneof(
          fc.string().filter((s) => s !== 'imagegpt'),
          fc.integer(),
        ),
      ),
      fc.tuple(
        fc.constant('architectures'),
        fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { minLength: 1 })),
      ),
      fc.tuple(
        fc.constant('id2label'),
        fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1 }), fc.constant({ x: 'a' })),
      ),
      fc.tuple(
        fc.constant('label2id'),
        fc.oneof(fc.string(), fc.constant({ a: 'zero' }), fc.constant({ a: 0.5 })),
      ),
    );
    fc.assert(
      fc.property(cases, ([field, value]) => {
        const error = refused(`${field}=${JSON.stringify(value)}`, () =>
          ImageGPTConfig.fromJSON({ ...real, [field]: value }, 'config.json'),
        );
        expect(error.field?.split('.')[0]).toBe(field);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses zero, negative and fractional sizes, naming the field', () => {
    const bad = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 0 }),
      fc
        .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
        .filter((x) => !Number.isInteger(x)),
      fc.constantFrom(-0.5, 0.5, 1.5, -1, Number.MIN_VALUE, -Number.MAX_VALUE),
    );
    fc.assert(
      fc.property(fc.constantFrom(...SIZE_FIELDS), bad, (field, value) => {
        const error = refused(`${field}=${value}`, () =>
          ImageGPTConfig.fromJSON({ ...real, [field]: value }),
        );
        expect(error.field).toBe(field);
      }),
      { numRuns: 300 },
    );
    // vocab_size 1 would leave no pixel token besides SOS.
    expect(refused('vocab_size=1', () => ImageGPTConfig.fromJSON({ ...real, vocab_size: 1 })).field).toBe(
      'vocab_size',
    );
  });

  it('refuses n_embd that n_head does not divide, in either spelling', () => {
    const indivisible = fc
      .record({
        n_head: fc.integer({ min: 2, max: 256 }),
        k: fc.integer({ min: 0, max: 200 }),
        r: fc.integer({ min: 1, max: 255 }),
      })
      .filter(({ n_head, r }) => r < n_head)
      .map(({ n_head, k, r }) => ({ n_head, n_embd: n_head * k + r }));
    fc.assert(
      fc.property(indivisible, fc.boolean(), ({ n_head, n_embd }, aliases) => {
        const json = aliases ? { hidden_size: n_embd, num_attention_heads: n_head } : { n_embd, n_head };
        const error = refused(`n_embd=${n_embd} n_head=${n_head}`, () =>
          ImageGPTConfig.fromJSON({ ...realWithout('n_embd', 'n_head'), ...json }),
        );
        expect(error.field).toBe(aliases ? 'hidden_size' : 'n_embd');
        expect(error.message).toContain(`n_head (${n_head})`);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an absurd n_positions, NaN and infinities at once', () => {
    const absurd = fc.oneof(
      fc.integer({ min: MAX_POSITIONS + 1, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(
        2 ** 53,
        1e300,
        Number.MAX_VALUE,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
      ),
    );
    fc.assert(
      fc.property(absurd, fc.constantFrom('n_positions', 'max_position_embeddings'), (value, key) => {
        const error = refused(`${key}=${value}`, () =>
          ImageGPTConfig.fromJSON({ ...realWithout('n_positions'), [key]: value }),
        );
        expect(error.field).toBe(key);
      }),
      { numRuns: 100 },
    );
    // Through text, 1e999 parses to Infinity and must be refused the same way.
    const error = refused('text 1e999', () =>
      ImageGPTConfig.parse(realText.replace('"n_positions": 256', '"n_positions": 1e999')),
    );
    expect(error.field).toBe('n_positions');
  });

  it('refuses two spellings of one field that disagree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (a, b) => {
        fc.pre(a !== b);
        const error = refused(`n_layer=${a} num_hidden_layers=${b}`, () =>
          ImageGPTConfig.fromJSON({ ...real, n_layer: a, num_hidden_layers: b }),
        );
        expect(error.field).toBe('num_hidden_layers');
      }),
      { numRuns: 50 },
    );
  });
});

describe('config.json that is random', () => {
  it('any JSON value as the whole file: a ConfigError or a valid config, nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => {
        const outcome = attempt('random JSON value', () => ImageGPTConfig.fromJSON(json, 'random.json'));
        if (json === null || typeof json !== 'object' || Array.isArray(json))
          expect(outcome.kind).toBe('typed');
        if (outcome.kind === 'accepted')
          expect(outcome.value.headDim * outcome.value.nHead).toBe(outcome.value.nEmbd);
      }),
      { numRuns: 500 },
    );
  });

  it('a real config with one key replaced by a random JSON value: a ConfigError or a consistent config', () => {
    const keys = fc.oneof(
      fc.constantFrom(...Object.keys(real), 'hidden_size', 'num_labels', 'id2label', 'label2id'),
      fc.string(),
    );
    fc.assert(
      fc.property(keys, fc.jsonValue({ maxDepth: 3 }), (key, value) => {
        const outcome = attempt(`${key}=random`, () =>
          ImageGPTConfig.parse(JSON.stringify({ ...real, [key]: value })),
        );
        if (outcome.kind === 'accepted') {
          const config = outcome.value;
          expect(Number.isSafeInteger(config.nEmbd) && config.nEmbd % config.nHead === 0).toBe(true);
          expect(config.nPositions).toBeLessThanOrEqual(MAX_POSITIONS);
          expect(Object.keys(config.id2label)).toHaveLength(config.numLabels);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the real file truncated at every offset is refused; random byte flips never crash', () => {
    const full = realText.trimEnd();
    for (let cut = 0; cut < full.length; cut++) {
      refused(`truncated at ${cut}`, () => ImageGPTConfig.parse(full.slice(0, cut), 'config.json'));
    }
    fc.assert(
      fc.property(flippedText(full), (text) => {
        attempt('byte flips', () => ImageGPTConfig.parse(text, 'config.json'));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        attempt('random text', () => ImageGPTConfig.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe('config.json built to exhaust the reader', () => {
  it('answers deeply nested values instead of overflowing the stack', () => {
    for (const depth of [2_000, 100_000]) {
      const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      // An unknown key may be kept or refused, but the answer must be one of those two.
      attempt(`extra key nested ${depth} deep`, () =>
        ImageGPTConfig.parse(`{"n_embd": 128, "custom": ${nested}}`),
      );
      refused(`id2label nested ${depth} deep`, () =>
        ImageGPTConfig.parse(`{"id2label": ${'{"0":'.repeat(depth)}"a"${'}'.repeat(depth)}}`),
      );
    }
  });

  it('keeps millions of values under an unknown key as text, and refuses them under a known key unparsed', () => {
    // The file, cut to the 16 MiB a config may have: millions of empty arrays that JSON.parse
    // would build one by one (seconds and hundreds of MB); the reader only scans them.
    const junk = `[${'[],'.repeat(5_500_000)}[]]`;
    const outcome = attempt('5.5M empty arrays under an unknown key', () =>
      ImageGPTConfig.parse(`{"n_embd": 64, "n_head": 4, "junk": ${junk}}`, 'config.json'),
    );
    expect(outcome.kind === 'accepted' && outcome.value.nEmbd).toBe(64);
    const error = refused('5.5M empty arrays as architectures', () =>
      ImageGPTConfig.parse(`{"n_embd": 64, "architectures": ${junk}}`, 'config.json'),
    );
    expect(error.message).toBe(
      'ImageGPT config in config.json: "architectures" is "5500002 JSON values", expected at most 100001 (100000 labels and their object)',
    );
  });

  it('answers an absurd num_labels quickly instead of building millions of label names', () => {
    // Escalates and stops at the first failure, so a reader without a bound fails here in seconds
    // rather than exhausting the heap on the larger values.
    for (const numLabels of [1_000_000, 50_000_000, 2 ** 31 - 1, Number.MAX_SAFE_INTEGER]) {
      attempt(`num_labels=${numLabels}`, () => ImageGPTConfig.fromJSON({ ...real, num_labels: numLabels }));
    }
  });

  it('keeps messages short when the offending value is huge', () => {
    const huge = 'x'.repeat(10_000_000);
    const error = refused('10 MB activation_function', () =>
      ImageGPTConfig.fromJSON({ ...real, activation_function: huge }),
    );
    expect(error.field).toBe('activation_function');
    refused('10 MB architectures entry', () =>
      ImageGPTConfig.fromJSON({ ...real, architectures: [huge, 1] }),
    );
  });

  it('treats __proto__ and constructor keys as plain data', () => {
    const proto = attempt('__proto__ key', () =>
      ImageGPTConfig.parse('{"__proto__": {"n_embd": 3, "n_head": 2}, "n_head": 4}'),
    );
    expect(proto.kind).toBe('accepted');
    if (proto.kind === 'accepted') expect(proto.value.nEmbd).toBe(512);
    expect(({} as Record<string, unknown>).n_embd).toBeUndefined();
    const error = refused('constructor label', () =>
      ImageGPTConfig.parse('{"id2label": {"constructor": "a"}}'),
    );
    expect(error.field).toBe('id2label.constructor');
  });
});

afterAll(() => {
  console.log(tally.summary('config.json', 'ConfigError'));
});
