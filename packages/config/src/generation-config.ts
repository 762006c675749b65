import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { GENERATION_CONFIG_DEFAULTS, HF_FLOAT_KEYS, jsonEqual } from './hf-defaults.js';
import { toHfJsonString } from './hf-json.js';
import type { ImageGPTConfig } from './imagegpt-config.js';
import { SAVED_TRANSFORMERS_VERSION } from './saved-version.js';

/** The file HF reads and writes a model's generation settings as. */
export const GENERATION_CONFIG_FILE = 'generation_config.json';

/**
 * The settings of a generation_config.json that ImageGPT.ts applies, as `generate()` options: each
 * present only when the file sets it, so a caller's own defaults stay where the file is silent.
 */
export interface GenerationDefaults {
  doSample?: boolean;
  temperature?: number | null;
  topK?: number | null;
  topP?: number | null;
  maxLength?: number;
  maxNewTokens?: number | null;
  numReturnSequences?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const count = (min: number) =>
  z.int({ error: `an integer >= ${min}` }).min(min, { error: `an integer >= ${min}` });

/** The keys of generation_config.json that are applied, validated as HF's warpers would use them. */
const FIELDS = {
  do_sample: z.boolean({ error: 'true or false' }),
  temperature: z
    .number({ error: 'a number > 0, or null' })
    .positive({ error: 'a number > 0 (logits are divided by it), or null' })
    .nullable(),
  top_k: count(0).nullable(),
  top_p: z
    .number({ error: 'a number in [0, 1], or null' })
    .min(0, { error: 'a number in [0, 1], or null' })
    .max(1, { error: 'a number in [0, 1], or null' })
    .nullable(),
  max_length: count(1),
  max_new_tokens: count(1).nullable(),
  num_return_sequences: count(1),
} as const;
type Field = keyof typeof FIELDS;
const OPTION_NAMES: Record<Field, keyof GenerationDefaults> = {
  do_sample: 'doSample',
  temperature: 'temperature',
  top_k: 'topK',
  top_p: 'topP',
  max_length: 'maxLength',
  max_new_tokens: 'maxNewTokens',
  num_return_sequences: 'numReturnSequences',
};

/**
 * HF's `GenerationConfig` as a model folder's `generation_config.json` holds it: the defaults of
 * `generate()` that a checkpoint ships with. The applied keys (do_sample, temperature, top_k,
 * top_p, max_length, max_new_tokens, num_return_sequences) are validated and exposed through
 * {@link defaults}; every other key is kept, so {@link toJSONString} writes the file back as HF's
 * `save_pretrained` does.
 *
 * @example
 * const generation = GenerationConfig.parse(text, 'generation_config.json');
 * generation.defaults(); // { doSample: true, topK: 40 } for a file that sets those two
 */
export class GenerationConfig {
  /** Whether the settings were made from the model's config.json (HF's `_from_model_config`). */
  readonly fromModelConfig: boolean;
  readonly #json: Readonly<Record<string, unknown>>;

  private constructor(json: Record<string, unknown>, fromModelConfig: boolean) {
    this.#json = Object.freeze(json);
    this.fromModelConfig = fromModelConfig;
  }

  /**
   * Validates an already-parsed `generation_config.json` object; `source` (usually the path) goes
   * into errors. Throws a `ConfigError` naming the key.
   */
  static fromJSON(json: unknown, source?: string): GenerationConfig {
    if (!isRecord(json)) throw new ConfigError({ file: source, value: json, expected: 'a JSON object' });
    const kept: [string, unknown][] = [];
    for (const [key, value] of Object.entries(json)) {
      if (key === '_from_model_config' || key === 'transformers_version') continue;
      const schema = Object.hasOwn(FIELDS, key) ? FIELDS[key as Field] : z.json();
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        throw new ConfigError({
          file: source,
          field: key,
          value,
          expected: parsed.error.issues[0]?.message ?? 'a JSON value',
        });
      }
      kept.push([key, value]);
    }
    const fromModel = json._from_model_config;
    if (fromModel !== undefined && typeof fromModel !== 'boolean')
      throw new ConfigError({
        file: source,
        field: '_from_model_config',
        value: fromModel,
        expected: 'true or false',
      });
    // fromEntries, not assignment, so a key like "__proto__" stays an ordinary key.
    return new GenerationConfig(Object.fromEntries(kept), fromModel === true);
  }

  /** Parses and validates the text of a `generation_config.json`. */
  static parse(text: string, source?: string): GenerationConfig {
    let json: unknown;
    try {
      json = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (cause) {
      throw new ConfigError({ file: source, expected: `JSON text (${(cause as Error).message})` }, { cause });
    }
    return GenerationConfig.fromJSON(json, source);
  }

  /**
   * What HF makes when a folder has no generation_config.json (`GenerationConfig.from_model_config`):
   * the generation keys that config.json sets, marked `_from_model_config`.
   */
  static fromModelConfig(config: ImageGPTConfig): GenerationConfig {
    const json = config.toJSON();
    const kept = Object.entries(json).filter(([key]) => Object.hasOwn(GENERATION_CONFIG_DEFAULTS, key));
    return GenerationConfig.fromJSON(
      { ...Object.fromEntries(kept), _from_model_config: true },
      'config.json',
    );
  }

  /**
   * The applied settings the file sets, as `generate()` options (`doSample`, `topK`, ...); a key
   * the file leaves out is absent, so the caller's own default applies.
   */
  defaults(): GenerationDefaults {
    const out: Record<string, unknown> = {};
    for (const [key, option] of Object.entries(OPTION_NAMES)) {
      if (Object.hasOwn(this.#json, key)) out[option] = this.#json[key];
    }
    return out as GenerationDefaults;
  }

  /**
   * The object HF's `save_pretrained` writes (`to_diff_dict`): every key whose value differs from
   * `GenerationConfig()`'s default, `_from_model_config` when set, and `transformers_version`.
   */
  toJSON(): Record<string, unknown> {
    const entries = Object.entries(this.#json).filter(
      ([key, value]) =>
        !Object.hasOwn(GENERATION_CONFIG_DEFAULTS, key) || !jsonEqual(value, GENERATION_CONFIG_DEFAULTS[key]),
    );
    if (this.fromModelConfig) entries.push(['_from_model_config', true]);
    entries.push(['transformers_version', SAVED_TRANSFORMERS_VERSION]);
    return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, unknown>;
  }

  /** {@link toJSON} as HF lays it out: sorted keys, 2-space indent, Python floats, a final newline. */
  toJSONString(): string {
    return toHfJsonString(this.toJSON(), {
      isFloat: (path) => path.length === 1 && HF_FLOAT_KEYS.has(String(path[0])),
    });
  }
}
