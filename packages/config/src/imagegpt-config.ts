import { z } from 'zod';
import type { ActivationFunction } from './activation.js';
import { ConfigError } from './config-error.js';
import { ALIASES, configFieldsSchema } from './config-schema.js';
import { HF_FLOAT_KEYS, jsonEqual, PRETRAINED_CONFIG_DEFAULTS } from './hf-defaults.js';
import { toHfJsonString } from './hf-json.js';
import { type ModelHead, parameterCount } from './parameter-count.js';
import { IMAGEGPT_PRESETS, type ImageGPTPresetName } from './presets.js';
import type { ProblemType } from './problem-type.js';
import { type ReadConfig, readConfig, readConfigText } from './read-config.js';
import { SAVED_TRANSFORMERS_VERSION } from './saved-version.js';

/** The file HF reads and writes a model's config as. */
export const CONFIG_FILE = 'config.json';

/** Keys of config.json that Python holds as floats, so they are written `0.0`, `1e-05` as HF does. */
const FLOAT_FIELDS: ReadonlySet<string> = new Set([
  'resid_pdrop',
  'embd_pdrop',
  'attn_pdrop',
  'layer_norm_epsilon',
  'initializer_range',
  ...HF_FLOAT_KEYS,
]);
const isFloatField = (path: readonly (string | number)[]) =>
  path.length === 1 && FLOAT_FIELDS.has(String(path[0]));
const LABEL_KEYS = ['id2label', 'label2id', 'num_labels'] as const;

/** Options of {@link ImageGPTConfig.toPretrainedJSONString}. */
export interface PretrainedJSONOptions {
  /** The HF class the weights are saved from (`ImageGPTForCausalImageModeling`, ...): `architectures` is `[it]`. */
  readonly architecture: string;
  /** `torch_dtype` of the saved weights (default `float32`). */
  readonly torchDtype?: string;
}

/**
 * The Hugging Face `ImageGPTConfig`: model sizes and switches, validated, with HF's defaults and
 * camelCase names. Read one from a `config.json` with {@link ImageGPTConfig.parse}, or start from a
 * published size with {@link ImageGPTConfig.preset}; write it back with {@link ImageGPTConfig.toJSONString}.
 *
 * @example
 * const config = ImageGPTConfig.parse(text, 'igpt/config.json');
 * config.headDim;      // 32 for n_embd 128, n_head 4
 * config.sosTokenId;   // vocab_size - 1
 */
export class ImageGPTConfig {
  /** Token ids 0 … vocabSize − 2 are colour clusters; vocabSize − 1 is the start-of-sequence token. */
  readonly vocabSize: number;
  /** Sequence length the model was trained on: image height × width. */
  readonly nPositions: number;
  /** Width of the residual stream. */
  readonly nEmbd: number;
  /** Number of transformer blocks. */
  readonly nLayer: number;
  /** Number of attention heads per block. */
  readonly nHead: number;
  /** MLP width as written in the file; `null` means 4 × nEmbd (see {@link innerSize}). */
  readonly nInner: number | null;
  /** MLP width actually used: `nInner ?? 4 * nEmbd`. */
  readonly innerSize: number;
  /** Width of one attention head: `nEmbd / nHead`. */
  readonly headDim: number;
  /** The start-of-sequence token every input row begins with: `vocabSize - 1`. */
  readonly sosTokenId: number;
  /** The MLP nonlinearity (HF `ACT2FN` name). */
  readonly activationFunction: ActivationFunction;
  /** Dropout after attention and MLP outputs (training only). */
  readonly residPdrop: number;
  /** Dropout on the embedding sum (training only). */
  readonly embdPdrop: number;
  /** Dropout on attention probabilities (training only). */
  readonly attnPdrop: number;
  /** Epsilon of ImageGPT's RMS-style layer norm. */
  readonly layerNormEpsilon: number;
  /** Standard deviation HF uses to initialise weights. */
  readonly initializerRange: number;
  /** Divide attention scores by √headDim. */
  readonly scaleAttnWeights: boolean;
  /** Whether the model returns its key/value cache by default. */
  readonly useCache: boolean;
  /** Whether the LM head shares `wte` (false for ImageGPT checkpoints). */
  readonly tieWordEmbeddings: boolean;
  /** Further divide attention scores of block `i` by `i + 1`. */
  readonly scaleAttnByInverseLayerIdx: boolean;
  /** HF's fp16 trick; in float32 it changes nothing numerically. */
  readonly reorderAndUpcastAttn: boolean;
  /** Classes of the classification head: the size of {@link id2label}. */
  readonly numLabels: number;
  /** Class id → name, `LABEL_0`, `LABEL_1` when the file names none. */
  readonly id2label: Record<number, string>;
  /** Class name → id, the inverse of {@link id2label}. */
  readonly label2id: Record<string, number>;
  /**
   * Which loss the classification head computes (HF's `problem_type`); null leaves it to the
   * labels, as HF does when the config does not say.
   */
  readonly problemType: ProblemType | null;
  /** HF class names the checkpoint was saved from, if the file says. */
  readonly architectures: string[] | undefined;
  /** Side of the square image: √nPositions when that is an integer. */
  readonly imageSide: number | undefined;

  readonly #labelsGiven: boolean;
  readonly #problemTypeGiven: boolean;
  /** Unknown keys, their values made only when the config is written back. */
  readonly #extras: ReadConfig['extras'];

  /** HF's alias of {@link nEmbd} (`hidden_size`). */
  get hiddenSize(): number {
    return this.nEmbd;
  }

  /** HF's alias of {@link nPositions} (`max_position_embeddings`). */
  get maxPositionEmbeddings(): number {
    return this.nPositions;
  }

  /** HF's alias of {@link nHead} (`num_attention_heads`). */
  get numAttentionHeads(): number {
    return this.nHead;
  }

  /** HF's alias of {@link nLayer} (`num_hidden_layers`). */
  get numHiddenLayers(): number {
    return this.nLayer;
  }

  private constructor({ fields: f, id2label, label2id, labelsGiven, extras }: ReadConfig) {
    this.vocabSize = f.vocab_size;
    this.nPositions = f.n_positions;
    this.nEmbd = f.n_embd;
    this.nLayer = f.n_layer;
    this.nHead = f.n_head;
    this.nInner = f.n_inner;
    this.innerSize = f.n_inner ?? 4 * f.n_embd;
    this.headDim = f.n_embd / f.n_head;
    this.sosTokenId = f.vocab_size - 1;
    this.activationFunction = f.activation_function;
    this.residPdrop = f.resid_pdrop;
    this.embdPdrop = f.embd_pdrop;
    this.attnPdrop = f.attn_pdrop;
    this.layerNormEpsilon = f.layer_norm_epsilon;
    this.initializerRange = f.initializer_range;
    this.scaleAttnWeights = f.scale_attn_weights;
    this.useCache = f.use_cache;
    this.tieWordEmbeddings = f.tie_word_embeddings;
    this.scaleAttnByInverseLayerIdx = f.scale_attn_by_inverse_layer_idx;
    this.reorderAndUpcastAttn = f.reorder_and_upcast_attn;
    this.id2label = id2label;
    this.label2id = label2id;
    this.numLabels = Object.keys(id2label).length;
    this.problemType = f.problem_type ?? null;
    this.#problemTypeGiven = f.problem_type !== undefined;
    this.architectures = f.architectures && (Object.freeze([...f.architectures]) as string[]);
    const side = Math.round(Math.sqrt(f.n_positions));
    this.imageSide = side * side === f.n_positions ? side : undefined;
    this.#labelsGiven = labelsGiven;
    this.#extras = extras;
  }

  /**
   * Validates an already-parsed `config.json` object. Throws {@link ConfigError} naming `source`.
   *
   * @example
   * ImageGPTConfig.fromJSON({ n_embd: 64, n_head: 4, n_layer: 3, n_positions: 256 }).imageSide; // 16
   */
  static fromJSON(json: unknown, source?: string): ImageGPTConfig {
    return new ImageGPTConfig(readConfig(json, source));
  }

  /**
   * Parses and validates the text of a `config.json`; `source` (usually the path) goes into errors.
   * The cost is one linear pass over the text whatever it holds: only the keys a config uses are
   * parsed and validated, and unknown keys are kept as text, never walked.
   *
   * @example
   * ImageGPTConfig.parse('{"vocab_size": 17, "n_positions": 64}', 'tiny/config.json').sosTokenId; // 16
   */
  static parse(text: string, source?: string): ImageGPTConfig {
    return new ImageGPTConfig(readConfigText(text.replace(/^\uFEFF/, ''), source));
  }

  /**
   * A config of one of OpenAI's published sizes (vocab 513, 32×32 images), with HF keys overriding it.
   *
   * @example
   * ImageGPTConfig.preset('small').parameterCount();          // 76_682_240
   * ImageGPTConfig.preset('medium', { n_positions: 256 });    // 16×16 images
   */
  static preset(name: ImageGPTPresetName, overrides: Record<string, unknown> = {}): ImageGPTConfig {
    if (!Object.hasOwn(IMAGEGPT_PRESETS, name)) {
      throw new ConfigError({
        field: 'preset',
        value: name,
        expected: Object.keys(IMAGEGPT_PRESETS).join(', '),
      });
    }
    const base: Record<string, unknown> = { ...IMAGEGPT_PRESETS[name] };
    // An override spelled with an alias must replace the preset's value, not conflict with it.
    for (const [alias, canonical] of Object.entries(ALIASES)) if (alias in overrides) delete base[canonical];
    return ImageGPTConfig.fromJSON({ ...base, ...overrides }, `preset "${name}"`);
  }

  /** JSON Schema of `config.json` (what a file may contain, with defaults), for the docs. */
  static jsonSchema(): object {
    return z.toJSONSchema(configFieldsSchema.loose(), { io: 'input' });
  }

  /**
   * The HF `config.json` object: snake_case keys, sorted like `save_pretrained` writes them, every
   * unknown key of the input kept. Labels are written when given or not the default two.
   */
  toJSON(): Record<string, unknown> {
    const labels =
      this.#labelsGiven ||
      this.numLabels !== 2 ||
      this.id2label[0] !== 'LABEL_0' ||
      this.id2label[1] !== 'LABEL_1';
    return sortKeys({
      // fromEntries, so that an unknown "__proto__" key stays an ordinary key.
      ...Object.fromEntries(this.#extras.map(([key, value]) => [key, value()])),
      model_type: 'imagegpt',
      vocab_size: this.vocabSize,
      n_positions: this.nPositions,
      n_embd: this.nEmbd,
      n_layer: this.nLayer,
      n_head: this.nHead,
      n_inner: this.nInner,
      activation_function: this.activationFunction,
      resid_pdrop: this.residPdrop,
      embd_pdrop: this.embdPdrop,
      attn_pdrop: this.attnPdrop,
      layer_norm_epsilon: this.layerNormEpsilon,
      initializer_range: this.initializerRange,
      scale_attn_weights: this.scaleAttnWeights,
      use_cache: this.useCache,
      tie_word_embeddings: this.tieWordEmbeddings,
      scale_attn_by_inverse_layer_idx: this.scaleAttnByInverseLayerIdx,
      reorder_and_upcast_attn: this.reorderAndUpcastAttn,
      ...(this.architectures && { architectures: this.architectures }),
      ...(labels && { id2label: this.id2label, label2id: this.label2id }),
      ...(this.#problemTypeGiven && { problem_type: this.problemType }),
    }) as Record<string, unknown>;
  }

  /**
   * {@link toJSON} as text, laid out as HF's `to_json_string`: 2-space indent, sorted keys, Python's
   * float formatting (`0.0`, `1e-05`), a final newline. Round-trips every key of the input.
   */
  toJSONString(): string {
    return toHfJsonString(this.toJSON(), { isFloat: isFloatField });
  }

  /**
   * The `config.json` HF's `save_pretrained` writes for a model with this config: `architectures`
   * naming the saved class, `torch_dtype`, `transformers_version`, and, as HF's `to_diff_dict`,
   * none of the generic `PretrainedConfig` keys that hold their default (labels only when they are
   * not the default two, `problem_type` only when set). Laid out as {@link toJSONString}.
   *
   * @example
   * config.toPretrainedJSONString({ architecture: 'ImageGPTForImageClassification' });
   */
  toPretrainedJSONString(options: PretrainedJSONOptions): string {
    const json = this.toJSON();
    for (const [key, value] of Object.entries(json)) {
      if (Object.hasOwn(PRETRAINED_CONFIG_DEFAULTS, key) && jsonEqual(value, PRETRAINED_CONFIG_DEFAULTS[key]))
        delete json[key];
    }
    // HF keeps no commit hash or load path of its own input: to_dict drops the one, from_pretrained resets the other.
    delete json._commit_hash;
    const defaultLabels =
      this.numLabels === 2 && this.id2label[0] === 'LABEL_0' && this.id2label[1] === 'LABEL_1';
    if (defaultLabels) {
      delete json.id2label;
      delete json.label2id;
    } else {
      json.id2label = this.id2label;
      json.label2id = this.label2id;
    }
    json.architectures = [options.architecture];
    json.torch_dtype = options.torchDtype ?? 'float32';
    json.transformers_version = SAVED_TRANSFORMERS_VERSION;
    return toHfJsonString(json, { isFloat: isFloatField });
  }

  /**
   * A new config with HF keys replaced, validated as {@link fromJSON} does. Giving any of
   * `id2label`, `label2id` or `num_labels` replaces the labels as a whole.
   *
   * @example
   * const ten = config.with({ num_labels: 10 });                 // LABEL_0 … LABEL_9
   * const named = config.with({ id2label: { 0: 'cat', 1: 'dog' }, problem_type: 'single_label_classification' });
   */
  with(overrides: Record<string, unknown>, source?: string): ImageGPTConfig {
    const relabel = LABEL_KEYS.some((key) => Object.hasOwn(overrides, key));
    const kept = Object.entries(this.toJSON()).filter(
      ([key]) =>
        !Object.hasOwn(overrides, key) && !(relabel && (LABEL_KEYS as readonly string[]).includes(key)),
    );
    // fromEntries, not assignment, so a key like "__proto__" stays an ordinary key.
    const given = Object.entries(overrides).filter(([, value]) => value !== undefined);
    return ImageGPTConfig.fromJSON(Object.fromEntries([...kept, ...given]), source);
  }

  /**
   * Number of weights of the model this config describes (see the free function {@link parameterCount}).
   *
   * @example
   * ImageGPTConfig.preset('small').parameterCount('base'); // 76_420_096
   */
  parameterCount(head: ModelHead = 'causal'): number {
    return parameterCount(this, head);
  }
}

/** Sorted, deep copies, so callers can neither reorder nor mutate what the config holds. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
}
