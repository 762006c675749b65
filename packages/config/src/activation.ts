/**
 * The activation names HF's `ACT2FN` accepts for `activation_function`. ImageGPT checkpoints use
 * `quick_gelu` (`x * sigmoid(1.702 x)`).
 */
export const ACTIVATION_FUNCTIONS = [
  'quick_gelu',
  'gelu',
  'gelu_new',
  'gelu_pytorch_tanh',
  'gelu_fast',
  'relu',
  'silu',
  'swish',
  'tanh',
  'sigmoid',
  'linear',
] as const;

/** One of {@link ACTIVATION_FUNCTIONS}. */
export type ActivationFunction = (typeof ACTIVATION_FUNCTIONS)[number];
