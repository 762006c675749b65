import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenCases, sharedPath } from '@imagegpt/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_FUNCTIONS } from './activation.js';
import { ConfigError } from './config-error.js';
import { ALIASES, KNOWN_KEYS } from './config-schema.js';
import { ImageGPTConfig } from './imagegpt-config.js';
import { PROBLEM_TYPES } from './problem-type.js';
import { SAVED_TRANSFORMERS_VERSION } from './saved-version.js';

/** Every reference `config.json` (golden cases and trained models). Throws, never skips, when the shared data is missing. */
function goldenConfigPaths(): string[] {
  return ['golden', 'models'].flatMap((set) => {
    const dir = sharedPath(set);
    return readdirSync(dir)
      .map((name) => join(dir, name, 'config.json'))
      .filter((path) => existsSync(path));
  });
}

/** HF's ImageGPTConfig() with nothing passed, as save_pretrained would write it (less version keys). */
const HF_DEFAULTS = {
  activation_function: 'quick_gelu',
  attn_pdrop: 0.1,
  embd_pdrop: 0.1,
  initializer_range: 0.02,
  layer_norm_epsilon: 1e-5,
  model_type: 'imagegpt',
  n_embd: 512,
  n_head: 8,
  n_inner: null,
  n_layer: 24,
  n_positions: 1024,
  reorder_and_upcast_attn: false,
  resid_pdrop: 0.1,
  scale_attn_by_inverse_layer_idx: false,
  scale_attn_weights: true,
  tie_word_embeddings: false,
  use_cache: true,
  vocab_size: 513,
};

describe('reference config.json files', () => {
  const paths = goldenConfigPaths();

  it('are all found: one per golden model case, one per trained model', () => {
    const models = readdirSync(sharedPath('models')).filter((name) =>
      existsSync(join(sharedPath('models'), name, 'model.safetensors')),
    );
    expect(paths).toHaveLength(goldenCases().filter((c) => c.kind === 'model').length + models.length);
  });

  it.each(paths)('%s round-trips: parse → toJSON deep-equals the file', (path) => {
    const text = readFileSync(path, 'utf8');
    const config = ImageGPTConfig.parse(text, path);
    expect(config.toJSON()).toStrictEqual(JSON.parse(text));
    expect(JSON.parse(config.toJSONString())).toStrictEqual(JSON.parse(text));
    expect(ImageGPTConfig.parse(config.toJSONString()).toJSON()).toStrictEqual(config.toJSON());
  });

  it('reads tiny-causal as the README describes it', () => {
    const path = paths.find((p) => p.includes('/golden/tiny-causal/')) ?? '';
    const c = ImageGPTConfig.parse(readFileSync(path, 'utf8'), path);
    expect([c.vocabSize, c.nPositions, c.nEmbd, c.nLayer, c.nHead]).toEqual([17, 64, 32, 2, 4]);
    expect([c.nInner, c.innerSize, c.headDim, c.sosTokenId, c.imageSide]).toEqual([null, 128, 8, 16, 8]);
    expect(c.architectures).toEqual(['ImageGPTForCausalImageModeling']);
    expect(c.numLabels).toBe(2);
    expect(c.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1' });
    expect(c.toJSON()).not.toHaveProperty('id2label');
  });

  it('reads the labels of the classifiers', () => {
    const [tiny, mnist] = ['/golden/tiny-classify/', '/igpt-mnist-16-classifier/'].map((dir) => {
      const path = paths.find((p) => p.includes(dir)) ?? '';
      return ImageGPTConfig.parse(readFileSync(path, 'utf8'), path);
    });
    expect(tiny?.numLabels).toBe(3);
    expect(tiny?.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
    expect(mnist?.numLabels).toBe(10);
    expect(mnist?.id2label[7]).toBe('7');
    expect(mnist?.attnPdrop).toBe(0);
  });
});

describe('ImageGPTConfig', () => {
  it("has HF's defaults", () => {
    const c = ImageGPTConfig.fromJSON({});
    expect(c.toJSON()).toStrictEqual(HF_DEFAULTS);
    expect(c.innerSize).toBe(2048);
    expect(c.headDim).toBe(64);
    expect(c.sosTokenId).toBe(512);
    expect(c.imageSide).toBe(32);
    expect(c.layerNormEpsilon).toBe(1e-5);
    expect(c.architectures).toBeUndefined();
  });

  it('writes like save_pretrained: sorted keys, 2-space indent, final newline', () => {
    const text = ImageGPTConfig.fromJSON({ torch_dtype: 'float32', architectures: ['X'] }).toJSONString();
    expect(
      text.startsWith('{\n  "activation_function": "quick_gelu",\n  "architectures": [\n    "X"\n  ],\n'),
    ).toBe(true);
    expect(text.endsWith('  "vocab_size": 513\n}\n')).toBe(true);
    const keys = Object.keys(JSON.parse(text));
    expect(keys).toEqual([...keys].sort());
  });

  it("reads HF's generic aliases and writes the ImageGPT names", () => {
    const c = ImageGPTConfig.fromJSON({
      hidden_size: 64,
      num_attention_heads: 4,
      num_hidden_layers: 3,
      max_position_embeddings: 256,
    });
    expect([c.nEmbd, c.nHead, c.nLayer, c.nPositions, c.imageSide]).toEqual([64, 4, 3, 256, 16]);
    // HF's attribute_map also reads back under the alias names.
    expect([c.hiddenSize, c.numAttentionHeads, c.numHiddenLayers, c.maxPositionEmbeddings]).toEqual([
      64, 4, 3, 256,
    ]);
    expect(c.toJSON()).toMatchObject({ n_embd: 64, n_head: 4, n_layer: 3, n_positions: 256 });
    expect(Object.keys(c.toJSON())).not.toContain('hidden_size');
    expect(ImageGPTConfig.fromJSON({ n_embd: 64, hidden_size: 64, n_head: 4 }).nEmbd).toBe(64);
  });

  it('completes labels like PretrainedConfig', () => {
    const three = ImageGPTConfig.fromJSON({ num_labels: 3 });
    expect(three.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    expect(three.toJSON()).toMatchObject({ id2label: { 2: 'LABEL_2' }, label2id: { LABEL_2: 2 } });
    expect(three.toJSON()).not.toHaveProperty('num_labels');
    const named = ImageGPTConfig.fromJSON({ id2label: { 0: 'cat', 1: 'dog', 2: 'fox' } });
    expect([named.numLabels, named.label2id]).toEqual([3, { cat: 0, dog: 1, fox: 2 }]);
    expect(ImageGPTConfig.fromJSON({ label2id: { b: 1, a: 0 } }).id2label).toEqual({ 0: 'a', 1: 'b' });
    // Spelled-out default labels survive the round trip even though HF would drop them.
    const explicit = { id2label: { 0: 'LABEL_0', 1: 'LABEL_1' }, label2id: { LABEL_0: 0, LABEL_1: 1 } };
    expect(ImageGPTConfig.fromJSON(explicit).toJSON()).toMatchObject(explicit);
  });

  it('keeps unknown keys, deep-copied', () => {
    const extra = { torch_dtype: 'float32', task_specific_params: { a: [1, { b: null }] }, __proto__x: 1 };
    const c = ImageGPTConfig.fromJSON({ ...extra });
    expect(c.toJSON()).toMatchObject(extra);
    (c.toJSON().task_specific_params as { a: unknown[] }).a.push(2);
    expect(c.toJSON().task_specific_params).toEqual({ a: [1, { b: null }] });
    const proto = ImageGPTConfig.parse('{"__proto__": {"polluted": true, "__proto__": 1}}').toJSON();
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    const nested = Object.getOwnPropertyDescriptor(proto, '__proto__')?.value as object;
    expect(Object.getOwnPropertyDescriptor(nested, '__proto__')?.value).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads a config.json as older transformers versions wrote it for the hub, keeping their keys', () => {
    // Keys of GPT-2-era configs that ImageGPTConfig no longer has: kept as they are, never an error.
    const older = {
      architectures: ['ImageGPTForCausalImageModeling'],
      model_type: 'imagegpt',
      activation_function: 'quick_gelu',
      n_ctx: 64,
      n_embd: 32,
      n_head: 4,
      n_layer: 2,
      n_positions: 64,
      vocab_size: 17,
      output_past: true,
      summary_activation: null,
      summary_first_dropout: 0.1,
      summary_proj_to_labels: true,
      summary_type: 'cls_index',
      summary_use_proj: true,
      transformers_version: '4.2.0.dev0',
    };
    const config = ImageGPTConfig.parse(JSON.stringify(older), 'old/config.json');
    expect([config.nLayer, config.nEmbd, config.vocabSize]).toEqual([2, 32, 17]);
    expect(config.toJSON()).toMatchObject({
      n_ctx: 64,
      output_past: true,
      summary_type: 'cls_index',
      summary_activation: null,
    });
  });

  it('has presets of the published sizes', () => {
    const sizes = (['small', 'medium', 'large'] as const).map((name) => {
      const c = ImageGPTConfig.preset(name);
      return [c.nLayer, c.nEmbd, c.nHead, c.vocabSize, c.nPositions];
    });
    expect(sizes).toEqual([
      [24, 512, 8, 513, 1024],
      [36, 1024, 8, 513, 1024],
      [48, 1536, 16, 513, 1024],
    ]);
    const small16 = ImageGPTConfig.preset('small', {
      n_positions: 256,
      hidden_size: 256,
      activation_function: 'gelu',
    });
    expect([small16.imageSide, small16.nEmbd, small16.activationFunction, small16.nLayer]).toEqual([
      16,
      256,
      'gelu',
      24,
    ]);
  });

  it('describes config.json as a JSON Schema with defaults', () => {
    const schema = ImageGPTConfig.jsonSchema() as {
      properties: Record<string, { default?: unknown; enum?: unknown }>;
    };
    expect(schema.properties.n_embd?.default).toBe(512);
    expect(schema.properties.n_inner?.default).toBeNull();
    expect(schema.properties.activation_function?.enum).toEqual([...ACTIVATION_FUNCTIONS]);
  });
});

const notKnown = (key: string) => !KNOWN_KEYS.has(key) && !(key in ALIASES);

/** A config.json in the form HF writes (labels either absent or both maps), with unknown keys mixed in. */
const validConfigJSON = fc
  .record({
    vocab_size: fc.integer({ min: 2, max: 4096 }),
    n_positions: fc.integer({ min: 1, max: 1 << 20 }),
    n_head: fc.integer({ min: 1, max: 32 }),
    head_dim: fc.integer({ min: 1, max: 128 }),
    n_layer: fc.integer({ min: 1, max: 64 }),
    n_inner: fc.option(fc.integer({ min: 1, max: 1 << 16 })),
    activation_function: fc.constantFrom(...ACTIVATION_FUNCTIONS),
    resid_pdrop: fc.double({ min: 0, max: 1, noNaN: true }),
    embd_pdrop: fc.double({ min: 0, max: 1, noNaN: true }),
    attn_pdrop: fc.double({ min: 0, max: 1, noNaN: true }),
    layer_norm_epsilon: fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }),
    initializer_range: fc.double({ min: 0, max: 1, noNaN: true }),
    scale_attn_weights: fc.boolean(),
    use_cache: fc.boolean(),
    tie_word_embeddings: fc.boolean(),
    scale_attn_by_inverse_layer_idx: fc.boolean(),
    reorder_and_upcast_attn: fc.boolean(),
    architectures: fc.option(fc.array(fc.string()), { nil: undefined }),
    labels: fc.option(fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 12 }), { nil: undefined }),
    extras: fc.dictionary(fc.string().filter(notKnown), fc.jsonValue(), { maxKeys: 4 }),
  })
  .map(({ n_head, head_dim, labels, architectures, extras, ...rest }) => ({
    ...extras,
    ...rest,
    model_type: 'imagegpt',
    n_head,
    n_embd: n_head * head_dim,
    ...(architectures && { architectures }),
    ...(labels && {
      id2label: Object.fromEntries(labels.map((name, i) => [String(i), name])),
      label2id: Object.fromEntries(labels.map((name, i) => [name, i])),
    }),
  }));

describe('properties', () => {
  it('every valid config round-trips through toJSON and toJSONString', () => {
    fc.assert(
      fc.property(validConfigJSON, (json) => {
        const config = ImageGPTConfig.fromJSON(json, 'random.json');
        expect(config.toJSON()).toStrictEqual(json);
        // Through text -0 becomes 0, so compare the texts.
        expect(ImageGPTConfig.parse(config.toJSONString()).toJSONString()).toBe(config.toJSONString());
        expect(config.headDim * config.nHead).toBe(config.nEmbd);
      }),
      { numRuns: 300 },
    );
  });

  it('n_embd not divisible by n_head is always rejected, naming n_embd or n_head', () => {
    const indivisible = fc
      .record({ n_head: fc.integer({ min: 2, max: 64 }), n_embd: fc.integer({ min: 1, max: 1 << 14 }) })
      .filter(({ n_embd, n_head }) => n_embd % n_head !== 0);
    fc.assert(
      fc.property(indivisible, (json) => {
        const error = (() => {
          try {
            ImageGPTConfig.fromJSON(json, 'random.json');
          } catch (e) {
            return e;
          }
        })();
        expect(error).toBeInstanceOf(ConfigError);
        expect(['n_embd', 'n_head']).toContain((error as ConfigError).field);
        expect((error as ConfigError).message).toContain(`${json.n_head}`);
      }),
    );
  });
});

/** A config file's text with its `transformers_version` line taken out: the one line a writer may differ in. */
const withoutVersion = (text: string) => text.replace(/^ {2}"transformers_version": .*\n/m, '');
const withoutDtype = (text: string) => text.replace(/^ {2}"torch_dtype": .*\n/m, '');

describe('toPretrainedJSONString (what savePretrained writes)', () => {
  it.each(goldenConfigPaths())('%s: the same text as HF wrote, transformers_version aside', (path) => {
    const text = readFileSync(path, 'utf8');
    const config = ImageGPTConfig.parse(text, path);
    const architecture = config.architectures?.[0] ?? '';
    const written = config.toPretrainedJSONString({ architecture });
    // HF's save_pretrained always writes torch_dtype; a file written without it (tiny-old-checkpoint) gains it.
    const dtype = JSON.parse(text).torch_dtype === undefined ? withoutDtype : (t: string) => t;
    expect(dtype(withoutVersion(written))).toBe(withoutVersion(text));
    expect(JSON.parse(written)).toMatchObject({
      transformers_version: SAVED_TRANSFORMERS_VERSION,
      torch_dtype: 'float32',
    });
  });

  it("leaves out generic keys at HF's defaults, keeps the rest, and names the saved class", () => {
    const config = ImageGPTConfig.fromJSON({
      vocab_size: 17,
      return_dict: true,
      bos_token_id: null,
      id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
      problem_type: null,
      custom: 1,
      temperature: 0.5,
      _commit_hash: 'abc',
      architectures: ['ImageGPTModel'],
      torch_dtype: 'float16',
    });
    const json = JSON.parse(
      config.toPretrainedJSONString({ architecture: 'ImageGPTForCausalImageModeling' }),
    );
    for (const key of ['return_dict', 'bos_token_id', 'id2label', 'label2id', 'problem_type', '_commit_hash'])
      expect(json).not.toHaveProperty(key);
    expect(json).toMatchObject({
      custom: 1,
      temperature: 0.5,
      architectures: ['ImageGPTForCausalImageModeling'],
      torch_dtype: 'float32',
    });
  });

  it('writes labels other than the default two, problem_type when set, and floats as Python does', () => {
    const config = ImageGPTConfig.fromJSON({
      id2label: { 0: 'cat', 1: 'dog' },
      problem_type: 'multi_label_classification',
      attn_pdrop: 0,
      temperature: 1,
    });
    const text = config.toPretrainedJSONString({ architecture: 'ImageGPTForImageClassification' });
    expect(JSON.parse(text)).toMatchObject({
      id2label: { 0: 'cat', 1: 'dog' },
      label2id: { cat: 0, dog: 1 },
      problem_type: 'multi_label_classification',
    });
    expect(text).toContain('"attn_pdrop": 0.0,');
    expect(text).toContain('"layer_norm_epsilon": 1e-05,');
    // temperature 1.0 is PretrainedConfig's default, so it is left out.
    expect(text).not.toContain('temperature');
  });
});

describe('problem_type', () => {
  it.each(PROBLEM_TYPES)('reads %s and writes it back', (problemType) => {
    const config = ImageGPTConfig.fromJSON({ problem_type: problemType });
    expect(config.problemType).toBe(problemType);
    expect(config.toJSON().problem_type).toBe(problemType);
  });

  it('is null when absent or null, and a null given is kept on the round trip', () => {
    expect(ImageGPTConfig.fromJSON({}).problemType).toBeNull();
    expect(ImageGPTConfig.fromJSON({}).toJSON()).not.toHaveProperty('problem_type');
    expect(ImageGPTConfig.fromJSON({ problem_type: null }).toJSON()).toHaveProperty('problem_type', null);
  });

  it("refuses a value HF refuses, naming the field and HF's values", () => {
    const error = (() => {
      try {
        ImageGPTConfig.fromJSON({ problem_type: 'classification' }, 'c.json');
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe('problem_type');
    expect(error.message).toContain('single_label_classification');
  });
});

describe('with', () => {
  const base = ImageGPTConfig.fromJSON({ vocab_size: 17, n_positions: 64, n_embd: 32, n_head: 4 });

  it('replaces keys and validates the result', () => {
    const c = base.with({ n_layer: 3, problem_type: 'regression' });
    expect([c.nLayer, c.problemType, c.vocabSize]).toEqual([3, 'regression', 17]);
    expect(() => base.with({ n_head: 5 })).toThrow(ConfigError);
    expect(base.nLayer).toBe(24);
  });

  it('replaces the labels as a whole when any label key is given', () => {
    const named = base.with({ id2label: { 0: 'a', 1: 'b', 2: 'c' } });
    expect([named.numLabels, named.label2id]).toEqual([3, { a: 0, b: 1, c: 2 }]);
    const ten = named.with({ num_labels: 10 });
    expect([ten.numLabels, ten.id2label[9]]).toEqual([10, 'LABEL_9']);
  });

  it('drops a key given as undefined', () => {
    const c = ImageGPTConfig.fromJSON({ custom: 1 }).with({ custom: undefined });
    expect(c.toJSON()).not.toHaveProperty('custom');
  });
});
