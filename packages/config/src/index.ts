// @imagegpt/config: the HF ImageGPT config.json, validated. The JSON helpers the packages share
// (HF's to_json_string, Python's float repr, error value previews) are at `@imagegpt/config/json`.
export { ACTIVATION_FUNCTIONS, type ActivationFunction } from './activation.js';
export { ConfigError, type ConfigErrorDetails } from './config-error.js';
export {
  MAX_EXTRA_DEPTH,
  MAX_LABELS,
  MAX_LAYERS,
  MAX_POSITIONS,
  MAX_VOCAB,
  MAX_WIDTH,
} from './config-schema.js';
export * from './deprecated.js';
export type { FileSink, FileSinkWriteOptions } from './file-sink.js';
export { GENERATION_CONFIG_FILE, GenerationConfig, type GenerationDefaults } from './generation-config.js';
export { CONFIG_FILE, ImageGPTConfig, type PretrainedJSONOptions } from './imagegpt-config.js';
export { type ModelHead, parameterCount } from './parameter-count.js';
export type { ImageGPTPresetName } from './presets.js';
export { PROBLEM_TYPES, type ProblemType } from './problem-type.js';
