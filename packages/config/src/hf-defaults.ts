// HF transformers 4.31's defaults for the generic keys of PretrainedConfig and GenerationConfig. Both
// `save_pretrained` writers leave out a key whose value equals its default (`to_diff_dict`), and a
// generation_config.json made from a model config takes the generation keys set in config.json.

/** `PretrainedConfig()` at transformers 4.31, as `to_dict()` writes it (the keys every model config shares). */
export const PRETRAINED_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  return_dict: true,
  output_hidden_states: false,
  output_attentions: false,
  torchscript: false,
  torch_dtype: null,
  use_bfloat16: false,
  tf_legacy_loss: false,
  pruned_heads: {},
  tie_word_embeddings: true,
  chunk_size_feed_forward: 0,
  is_encoder_decoder: false,
  is_decoder: false,
  cross_attention_hidden_size: null,
  add_cross_attention: false,
  tie_encoder_decoder: false,
  max_length: 20,
  min_length: 0,
  do_sample: false,
  early_stopping: false,
  num_beams: 1,
  num_beam_groups: 1,
  diversity_penalty: 0,
  temperature: 1,
  top_k: 50,
  top_p: 1,
  typical_p: 1,
  repetition_penalty: 1,
  length_penalty: 1,
  no_repeat_ngram_size: 0,
  encoder_no_repeat_ngram_size: 0,
  bad_words_ids: null,
  num_return_sequences: 1,
  output_scores: false,
  return_dict_in_generate: false,
  forced_bos_token_id: null,
  forced_eos_token_id: null,
  remove_invalid_values: false,
  exponential_decay_length_penalty: null,
  suppress_tokens: null,
  begin_suppress_tokens: null,
  architectures: null,
  finetuning_task: null,
  tokenizer_class: null,
  prefix: null,
  bos_token_id: null,
  pad_token_id: null,
  eos_token_id: null,
  sep_token_id: null,
  decoder_start_token_id: null,
  task_specific_params: null,
  problem_type: null,
});

/** `GenerationConfig()` at transformers 4.31, as `to_dict()` writes it. */
export const GENERATION_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  max_length: 20,
  max_new_tokens: null,
  min_length: 0,
  min_new_tokens: null,
  early_stopping: false,
  max_time: null,
  do_sample: false,
  num_beams: 1,
  num_beam_groups: 1,
  penalty_alpha: null,
  use_cache: true,
  temperature: 1,
  top_k: 50,
  top_p: 1,
  typical_p: 1,
  epsilon_cutoff: 0,
  eta_cutoff: 0,
  diversity_penalty: 0,
  repetition_penalty: 1,
  encoder_repetition_penalty: 1,
  length_penalty: 1,
  no_repeat_ngram_size: 0,
  bad_words_ids: null,
  force_words_ids: null,
  renormalize_logits: false,
  constraints: null,
  forced_bos_token_id: null,
  forced_eos_token_id: null,
  remove_invalid_values: false,
  exponential_decay_length_penalty: null,
  suppress_tokens: null,
  begin_suppress_tokens: null,
  forced_decoder_ids: null,
  sequence_bias: null,
  guidance_scale: null,
  num_return_sequences: 1,
  output_attentions: false,
  output_hidden_states: false,
  output_scores: false,
  return_dict_in_generate: false,
  pad_token_id: null,
  bos_token_id: null,
  eos_token_id: null,
  encoder_no_repeat_ngram_size: 0,
  decoder_start_token_id: null,
  generation_kwargs: {},
  _from_model_config: false,
});

/**
 * Keys of both tables whose values Python holds as floats (`1.0`, not `1`), so the JSON writers
 * format them as Python does.
 */
export const HF_FLOAT_KEYS: ReadonlySet<string> = new Set([
  'diversity_penalty',
  'temperature',
  'top_p',
  'typical_p',
  'repetition_penalty',
  'encoder_repetition_penalty',
  'length_penalty',
  'epsilon_cutoff',
  'eta_cutoff',
  'guidance_scale',
  'penalty_alpha',
  'max_time',
]);

/** Deep equality of JSON values, as Python's `==` on the parsed objects (1 == 1.0). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
