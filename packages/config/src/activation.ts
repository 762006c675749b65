/**
 * Every name of HF's `ACT2FN` table at transformers 4.31 (commit 134caef) whose function has no
 * learned parameters: what `activation_function` may be. ImageGPT checkpoints use `quick_gelu`
 * (`x * sigmoid(1.702 x)`); the core's graph builder implements each of them.
 */
export const ACTIVATION_FUNCTIONS = [
  'quick_gelu',
  'gelu',
  'gelu_10',
  'gelu_accurate',
  'gelu_fast',
  'gelu_new',
  'gelu_python',
  'gelu_pytorch_tanh',
  'laplace',
  'linear',
  'mish',
  'relu',
  'relu2',
  'relu6',
  'sigmoid',
  'silu',
  'swish',
  'tanh',
] as const;

/** One of {@link ACTIVATION_FUNCTIONS}. */
export type ActivationFunction = (typeof ACTIVATION_FUNCTIONS)[number];
