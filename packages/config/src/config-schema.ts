import { z } from 'zod';
import { ACTIVATION_FUNCTIONS } from './activation.js';
import { PROBLEM_TYPES } from './problem-type.js';

/**
 * The largest `n_positions` accepted. `wpe` holds `n_positions × n_embd` floats and attention is
 * quadratic in it, so anything beyond 2^20 (a 1024×1024 image) is a typo, not a model.
 */
export const MAX_POSITIONS = 1 << 20;

/**
 * The most transformer blocks accepted. The largest published iGPT has 48 and the largest GPTs about
 * a hundred; every block adds a dozen expected weights and graph nodes, so a config asking for a
 * million is refused here rather than spent building lists.
 */
export const MAX_LAYERS = 1024;

/** The widest residual stream accepted (n_embd; n_inner may be up to 16 times it): 2^16. */
export const MAX_WIDTH = 1 << 16;

/** The largest vocabulary accepted: every 24-bit colour as a cluster, plus SOS. */
export const MAX_VOCAB = (1 << 24) + 1;

/**
 * The most classes accepted, in `num_labels` or in the size of `id2label` / `label2id`. Every label
 * gets a name string and a row in the classifier, so this bounds the work a config can ask for;
 * the largest real label set, ImageNet-21k, has 21,843 classes.
 */
export const MAX_LABELS = 100_000;

/**
 * How deeply a value under an unknown key may nest. Real configs nest two or three levels; the
 * bound lets a hostile file be refused before anything recurses into it.
 */
export const MAX_EXTRA_DEPTH = 64;

/** HF's `attribute_map` for ImageGPT: generic names accepted on read, written back under the ImageGPT name. */
export const ALIASES = {
  hidden_size: 'n_embd',
  max_position_embeddings: 'n_positions',
  num_attention_heads: 'n_head',
  num_hidden_layers: 'n_layer',
} as const;

const positiveInt = (what = 'a positive integer') => z.int({ error: what }).min(1, { error: what });
/** A positive integer at most `max`, with `why` saying what the bound protects. */
const boundedInt = (max: number, why: string) => {
  const what = `a positive integer <= ${max}`;
  return z
    .int({ error: what })
    .min(1, { error: what })
    .max(max, { error: `at most ${max} (${why})` });
};
const probability = () => {
  const what = 'a probability in [0, 1]';
  return z.number({ error: what }).min(0, { error: what }).max(1, { error: what });
};
const flag = () => z.boolean({ error: 'true or false' });
const labelIdsError = 'an object whose keys are label ids ("0", "1", ...) and values label names';

/**
 * The keys of an ImageGPT `config.json`, with HF's defaults. Other keys (HF's generic
 * `PretrainedConfig` ones such as `torch_dtype`) are not validated but kept.
 */
export const configFieldsSchema = z
  .object({
    model_type: z
      .literal('imagegpt', { error: '"imagegpt" (this is not an ImageGPT config)' })
      .default('imagegpt'),
    vocab_size: z
      .int({ error: 'an integer >= 2 (pixel tokens plus the SOS token)' })
      .min(2, { error: 'an integer >= 2 (pixel tokens plus the SOS token)' })
      .max(MAX_VOCAB, { error: `at most ${MAX_VOCAB} (every 24-bit colour plus SOS)` })
      .default(513)
      .meta({ description: 'Colour clusters + 1; the last id is the start-of-sequence token.' }),
    n_positions: z
      .int({ error: `a positive integer <= ${MAX_POSITIONS}` })
      .min(1, { error: `a positive integer <= ${MAX_POSITIONS}` })
      .max(MAX_POSITIONS, {
        error: `at most ${MAX_POSITIONS} (2^20, a 1024x1024 image): wpe and attention grow with it, so this is a typo`,
      })
      .default(1024)
      .meta({ description: 'Sequence length = image height × width (alias max_position_embeddings).' }),
    n_embd: boundedInt(MAX_WIDTH, 'wider than any model; weights grow with its square')
      .default(512)
      .meta({ description: 'Width of the residual stream (alias hidden_size).' }),
    n_layer: boundedInt(MAX_LAYERS, 'deeper than any model; every block adds weights and graph nodes')
      .default(24)
      .meta({ description: 'Transformer blocks (alias num_hidden_layers).' }),
    n_head: boundedInt(MAX_WIDTH, 'more heads than n_embd can have')
      .default(8)
      .meta({ description: 'Attention heads (alias num_attention_heads).' }),
    n_inner: positiveInt('a positive integer, or null for 4 × n_embd')
      .max(16 * MAX_WIDTH, { error: `at most ${16 * MAX_WIDTH} (16 × the widest n_embd), or null` })
      .nullable()
      .default(null)
      .meta({ description: 'MLP width; null means 4 × n_embd.' }),
    activation_function: z
      .enum(ACTIVATION_FUNCTIONS, { error: `one of ${ACTIVATION_FUNCTIONS.join(', ')}` })
      .default('quick_gelu'),
    resid_pdrop: probability().default(0.1),
    embd_pdrop: probability().default(0.1),
    attn_pdrop: probability().default(0.1),
    layer_norm_epsilon: z
      .number({ error: 'a number > 0' })
      .positive({ error: 'a number > 0 (it keeps the RMS norm away from division by zero)' })
      .default(1e-5),
    initializer_range: z
      .number({ error: 'a number >= 0' })
      .min(0, { error: 'a number >= 0 (a standard deviation)' })
      .default(0.02),
    scale_attn_weights: flag().default(true),
    use_cache: flag().default(true),
    tie_word_embeddings: flag().default(false),
    scale_attn_by_inverse_layer_idx: flag().default(false),
    reorder_and_upcast_attn: flag().default(false),
    architectures: z
      .array(z.string({ error: 'a class name' }), { error: 'an array of class names' })
      .optional(),
    num_labels: positiveInt(`a positive integer <= ${MAX_LABELS}`)
      .max(MAX_LABELS, {
        error: `at most ${MAX_LABELS} (ImageNet-21k has 21,843 classes), since every label is built and named`,
      })
      .optional()
      .meta({ description: 'Classes; ignored when id2label is given.' }),
    id2label: z
      .record(z.string().regex(/^(0|[1-9]\d*)$/), z.string({ error: 'a label name (string)' }), {
        error: labelIdsError,
      })
      .optional(),
    label2id: z
      .record(z.string(), z.int({ error: 'a label id (integer)' }), {
        error: 'an object from label names to ids',
      })
      .optional(),
    problem_type: z
      .enum(PROBLEM_TYPES, { error: `null or one of ${PROBLEM_TYPES.join(', ')}` })
      .nullable()
      .optional()
      .meta({ description: "The classifier's loss; unset (null) lets the labels decide, as in HF." }),
  })
  .check((ctx) => {
    const { n_embd, n_head } = ctx.value;
    if (n_embd % n_head !== 0) {
      ctx.issues.push({
        code: 'custom',
        path: ['n_embd'],
        input: n_embd,
        message: `a multiple of n_head (${n_head}), so every head gets n_embd / n_head dimensions`,
      });
    }
  });

/** The validated known keys of a config file, defaults filled in. */
export type ConfigFields = z.output<typeof configFieldsSchema>;

/** The names {@link configFieldsSchema} knows, aliases excluded. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(configFieldsSchema.shape));
