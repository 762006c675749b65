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
export type { FileSink, FileSinkWriteOptions } from './file-sink.js';
export { type HfJsonOptions, pythonFloat, toHfJsonString } from './hf-json.js';
export { ImageGPTConfig } from './imagegpt-config.js';
export { type ModelHead, parameterCount } from './parameter-count.js';
export type { ImageGPTPresetName } from './presets.js';
export { previewValue } from './preview-value.js';
