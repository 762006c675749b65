// @imagegpt/heads: the task heads (HF's model classes), feature extraction, linear probes and the
// conformance runner. The comparisons and tolerance rule the conformance runner uses are at
// `@imagegpt/heads/conformance`; the L-BFGS optimizer under the probes at `@imagegpt/heads/lbfgs`.
export {
  ConformanceCaseError,
  type ConformanceOptions,
  type ConformanceOutput,
  type ConformanceReport,
  runConformance,
} from './conformance/index.js';
export { type ClassifierLabels, resolveProblemType } from './cross-entropy.js';
export { decodePixels } from './decode-pixels.js';
export * from './deprecated.js';
export type { FeatureOptions, LayerFeatureOptions } from './features.js';
export { HeadsError, type HeadsErrorDetails } from './heads-error.js';
export {
  type CausalForwardOptions,
  type CausalForwardResult,
  type CompleteOptions,
  type Completion,
  type GenerateOutput,
  type ImageGenerateOptions,
  ImageGPTForCausalImageModeling,
  type ImageRowEvent,
  type NllOptions,
  type NllResult,
} from './imagegpt-for-causal-image-modeling.js';
export {
  type Classification,
  type ClassifierForwardOptions,
  type ClassifierForwardResult,
  type ClassifyOptions,
  ImageGPTForImageClassification,
  type LabelScore,
  type TrainHeadInputs,
  type TrainHeadOptions,
  type TrainHeadResult,
} from './imagegpt-for-image-classification.js';
export { type HeadClass, type HeadInit, ImageGPTHead, type RunnerSettings } from './imagegpt-head.js';
export { ImageGPTModel } from './imagegpt-model.js';
export {
  type LinearProbe,
  type LinearProbeOptions,
  type ProbePrediction,
  trainLinearProbe,
} from './linear-probe.js';
export type { LoadOptions, ModelParts } from './load-options.js';
export { loadConfig, loadProcessor } from './load-parts.js';
export type { ImageInput } from './model-inputs.js';
