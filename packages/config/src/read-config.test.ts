import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { MAX_EXTRA_DEPTH, MAX_LABELS } from './config-schema.js';
import { ImageGPTConfig } from './imagegpt-config.js';

const FILE = 'checkpoints/bad/config.json';

/** The ConfigError `read` throws; fails the test if it throws anything else or nothing. */
function errorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

describe('bad config.json input gives a ConfigError naming file, field, value and expectation', () => {
  // [what, input, field, value, words the expectation must contain]
  const cases: [string, Record<string, unknown>, string, unknown, string][] = [
    ['size as a string', { n_embd: '512' }, 'n_embd', '512', 'a positive integer'],
    ['flag as a string', { use_cache: 'yes' }, 'use_cache', 'yes', 'true or false'],
    ['zero layers', { n_layer: 0 }, 'n_layer', 0, 'a positive integer'],
    ['negative heads', { n_head: -8 }, 'n_head', -8, 'a positive integer'],
    ['fractional width', { n_embd: 511.5 }, 'n_embd', 511.5, 'a positive integer'],
    ['zero n_inner', { n_inner: 0 }, 'n_inner', 0, 'or null for 4 × n_embd'],
    ['indivisible heads', { n_embd: 100, n_head: 8 }, 'n_embd', 100, 'a multiple of n_head (8)'],
    ['a million layers', { n_layer: 1_000_000 }, 'n_layer', 1_000_000, 'at most 1024'],
    ['a billion layers via alias', { num_hidden_layers: 1e9 }, 'num_hidden_layers', 1e9, 'at most 1024'],
    ['absurd width', { n_embd: 2 ** 20, n_head: 1 }, 'n_embd', 2 ** 20, 'at most 65536'],
    ['absurd n_inner', { n_inner: 2 ** 30 }, 'n_inner', 2 ** 30, 'at most 1048576'],
    ['absurd vocabulary', { vocab_size: 2 ** 30 }, 'vocab_size', 2 ** 30, 'at most 16777217'],
    [
      'n_head that does not divide the default n_embd',
      { num_attention_heads: 3 },
      'n_embd (not given; the default)',
      512,
      'a multiple of n_head (3)',
    ],
    [
      'indivisible via alias',
      { hidden_size: 100, n_head: 8 },
      'hidden_size',
      100,
      'a multiple of n_head (8)',
    ],
    [
      'unknown activation',
      { activation_function: 'gelu2' },
      'activation_function',
      'gelu2',
      'one of quick_gelu, gelu,',
    ],
    [
      'absurd n_positions',
      { n_positions: 2 ** 21 },
      'n_positions',
      2 ** 21,
      'at most 1048576 (2^20, a 1024x1024 image)',
    ],
    ['zero epsilon', { layer_norm_epsilon: 0 }, 'layer_norm_epsilon', 0, 'a number > 0'],
    ['negative epsilon', { layer_norm_epsilon: -1e-5 }, 'layer_norm_epsilon', -1e-5, 'a number > 0'],
    ['vocab of one', { vocab_size: 1 }, 'vocab_size', 1, 'an integer >= 2 (pixel tokens plus the SOS token)'],
    ['dropout above 1', { attn_pdrop: 1.5 }, 'attn_pdrop', 1.5, 'a probability in [0, 1]'],
    ['negative init std', { initializer_range: -0.02 }, 'initializer_range', -0.02, 'a number >= 0'],
    ['another model type', { model_type: 'gpt2' }, 'model_type', 'gpt2', 'not an ImageGPT config'],
    [
      'architectures not a list',
      { architectures: 'ImageGPTModel' },
      'architectures',
      'ImageGPTModel',
      'an array of class names',
    ],
    ['label id not a number', { id2label: { cat: 'x' } }, 'id2label.cat', 'cat', 'keys are label ids'],
    ['label name not a string', { id2label: { 0: 7 } }, 'id2label.0', 7, 'a label name (string)'],
    ['gap in label ids', { id2label: { 0: 'a', 2: 'b' } }, 'id2label', { 0: 'a', 2: 'b' }, 'with no gaps'],
    [
      'label2id not inverse',
      { id2label: { 0: 'a', 1: 'b' }, label2id: { a: 1, b: 0 } },
      'label2id',
      { a: 1, b: 0 },
      'the inverse of id2label',
    ],
    [
      'num_labels disagrees',
      { num_labels: 5, id2label: { 0: 'a' } },
      'num_labels',
      5,
      '1, the number of entries in id2label',
    ],
    [
      'num_labels vs label2id',
      { num_labels: 1, label2id: { a: 0, b: 1 } },
      'num_labels',
      1,
      '2, the number of entries in label2id',
    ],
    [
      'alias disagrees',
      { n_embd: 512, hidden_size: 256 },
      'hidden_size',
      256,
      'the same value as n_embd (512)',
    ],
    ['extra key not JSON', { torch_dtype: () => 'float32' }, 'torch_dtype', undefined, 'a JSON value'],
  ];

  it.each(cases)('%s', (_, json, field, value, expected) => {
    const error = errorOf(() => ImageGPTConfig.fromJSON(json, FILE));
    expect(error.name).toBe('ConfigError');
    expect(error.file).toBe(FILE);
    expect(error.field).toBe(field);
    if (typeof value !== 'function' && value !== undefined) expect(error.value).toEqual(value);
    expect(error.expected).toContain(expected);
    expect(error.message).toContain(FILE);
    expect(error.message).toContain(`"${field}" is `);
    expect(error.message).toContain(`expected ${error.expected}`);
    if (typeof value === 'number' || typeof value === 'string')
      expect(error.message).toContain(JSON.stringify(value));
  });

  it('text that is not JSON', () => {
    const error = errorOf(() => ImageGPTConfig.parse('{"n_embd": 512,', FILE));
    expect([error.file, error.field]).toEqual([FILE, undefined]);
    expect(error.expected).toMatch(/^JSON text \(.+\)$/);
    expect(error.message).toBe(`ImageGPT config in ${FILE}: expected ${error.expected}`);
    expect(error.expected).toBe(
      'JSON text (the text ends early (expected a key (a string)) at character 15)',
    );
  });

  it('JSON that is not an object', () => {
    const error = errorOf(() => ImageGPTConfig.parse('[1, 2]', FILE));
    // Refused from its first character: the rest is never parsed.
    expect([error.field, error.value, error.expected]).toEqual([
      undefined,
      undefined,
      'a JSON object of config keys, not an array',
    ]);
  });

  it('an exact message, to show the shape', () => {
    const error = errorOf(() => ImageGPTConfig.fromJSON({ n_embd: 100, n_head: 8 }, FILE));
    expect(error.message).toBe(
      `ImageGPT config in ${FILE}: "n_embd" is 100, expected a multiple of n_head (8), so every head gets n_embd / n_head dimensions`,
    );
    expect(errorOf(() => ImageGPTConfig.fromJSON({ n_layer: -1 })).message).toBe(
      'ImageGPT config: "n_layer" is -1, expected a positive integer <= 1024',
    );
  });

  it('an unknown preset or a bad override', () => {
    const unknown = errorOf(() => ImageGPTConfig.preset('huge' as 'small'));
    expect([unknown.field, unknown.value, unknown.expected]).toEqual([
      'preset',
      'huge',
      'small, medium, large',
    ]);
    const bad = errorOf(() => ImageGPTConfig.preset('large', { n_head: 7 }));
    expect([bad.file, bad.field, bad.value]).toEqual(['preset "large"', 'n_embd', 1536]);
  });
});

describe('limits that keep a hostile config cheap to read', () => {
  it(`caps num_labels at MAX_LABELS (${MAX_LABELS}), and id2label / label2id at as many entries`, () => {
    expect(ImageGPTConfig.fromJSON({ num_labels: 1000 }).numLabels).toBe(1000);
    const over = errorOf(() => ImageGPTConfig.fromJSON({ num_labels: MAX_LABELS + 1 }, FILE));
    expect([over.field, over.value]).toEqual(['num_labels', MAX_LABELS + 1]);
    expect(over.expected).toContain(`at most ${MAX_LABELS}`);
    const many = Object.fromEntries(Array.from({ length: MAX_LABELS + 1 }, (_, i) => [String(i), `c${i}`]));
    expect(errorOf(() => ImageGPTConfig.fromJSON({ id2label: many })).field).toBe('id2label');
    const inverse = Object.fromEntries(Object.entries(many).map(([id, name]) => [name, Number(id)]));
    expect(errorOf(() => ImageGPTConfig.fromJSON({ label2id: inverse })).field).toBe('label2id');
  });

  it(`keeps an unknown key nested ${MAX_EXTRA_DEPTH} deep and refuses one nested deeper, by name`, () => {
    const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
    // `depth` brackets put the innermost array depth - 1 containers deep.
    const kept = ImageGPTConfig.fromJSON({ custom: nested(MAX_EXTRA_DEPTH + 1) });
    expect(JSON.stringify(kept.toJSON().custom)).toHaveLength(2 * (MAX_EXTRA_DEPTH + 1));
    const error = errorOf(() => ImageGPTConfig.fromJSON({ custom: nested(MAX_EXTRA_DEPTH + 2) }, FILE));
    expect([error.field, error.expected]).toEqual([
      'custom',
      `a JSON value nested at most ${MAX_EXTRA_DEPTH} levels deep`,
    ]);
    expect(error.message).toContain('"custom" is [[[[[...]]]]]');
    // A cycle (only possible from code, not from JSON text) is refused the same way, not looped on.
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(errorOf(() => ImageGPTConfig.fromJSON({ custom: cycle })).field).toBe('custom');
  });
});
