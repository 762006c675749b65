// Float64 references for tests: the definitions the library's float32 graphs are checked against.
import type { ActivationFunction } from '@imagegpt/config';

/**
 * The error function in float64, exact to about 1e-15: the Maclaurin series below 2.5, the
 * continued fraction of erfc above (Abramowitz–Stegun 7.1.26 is too coarse for these checks).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
// ln(1 + eˣ) without overflow or cancellation.
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/**
 * HF's `ACT2FN[name](x)` (transformers 4.31) evaluated in float64 from its definition in
 * `activations.py`: the reference every activation of the graph builder is checked against.
 */
export function referenceActivation(name: ActivationFunction, x: number): number {
  switch (name) {
    case 'quick_gelu':
      return x * sigmoid(1.702 * x);
    case 'gelu':
    case 'gelu_python':
      return gelu(x);
    case 'gelu_10':
      return Math.min(Math.max(gelu(x), -10), 10);
    case 'gelu_new':
    case 'gelu_accurate':
    case 'gelu_pytorch_tanh':
      return tanhGelu(x);
    case 'gelu_fast':
      return 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x)));
    case 'laplace':
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: HF's mu literal, not exactly 1/√2
      return 0.5 * (1 + erf((x - 0.707107) / (0.282095 * Math.SQRT2)));
    case 'mish':
      return x * Math.tanh(softplus(x));
    case 'relu':
      return Math.max(0, x);
    case 'relu2':
      return Math.max(0, x) ** 2;
    case 'relu6':
      return Math.min(Math.max(x, 0), 6);
    case 'silu':
    case 'swish':
      return x * sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'linear':
      return x;
  }
}
