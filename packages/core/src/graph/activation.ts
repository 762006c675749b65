import type { ActivationFunction } from '@imagegpt/config';
import type { GraphBuilder } from './graph-builder.js';

// sqrt(2/π) as HF's NewGELU and AccurateGELU write it (math.sqrt(2.0 / math.pi)), and FastGELU's
// rounded literal.
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const FAST_GELU_COEFF = 0.7978845608;
// LaplaceActivation's defaults (mu, sigma); HF divides by sigma·sqrt(2), a Python float.
// biome-ignore lint/suspicious/noApproximativeNumericConstant: HF's literal, which is not exactly 1/√2
const LAPLACE_MU = 0.707107;
const LAPLACE_SCALE = 0.282095 * Math.sqrt(2);

/**
 * Emits HF's `ACT2FN[name](x)` (transformers 4.31) with standard ONNX ops, in HF's order of
 * operations so float32 results round the same way.
 */
export function activation(g: GraphBuilder, name: ActivationFunction, x: string): string {
  const c = (v: number) => g.floatConstant(v);
  // torch's exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as HF's gelu_python writes it: x · 0.5 first.
  const erfGelu = () =>
    g.op('Mul', [
      g.op('Mul', [x, c(0.5)]),
      g.op('Add', [c(1), g.op('Erf', [g.op('Div', [x, c(Math.SQRT2)])])]),
    ]);
  switch (name) {
    case 'quick_gelu': // x * sigmoid(1.702 x)
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, c(1.702)])])]);
    case 'gelu':
    case 'gelu_python':
      return erfGelu();
    case 'gelu_10': // gelu clipped to [-10, 10]
      return g.op('Clip', [erfGelu(), c(-10), c(10)]);
    case 'gelu_new':
    case 'gelu_accurate':
    case 'gelu_pytorch_tanh': {
      // 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³)))
      const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const inner = g.op('Mul', [c(SQRT_2_OVER_PI), g.op('Add', [x, g.op('Mul', [c(0.044715), cube])])]);
      return g.op('Mul', [g.op('Mul', [c(0.5), x]), g.op('Add', [c(1), g.op('Tanh', [inner])])]);
    }
    case 'gelu_fast': {
      // 0.5 x (1 + tanh(x · 0.7978845608 · (1 + 0.044715 x²)))
      const poly = g.op('Add', [c(1), g.op('Mul', [g.op('Mul', [c(0.044715), x]), x])]);
      const inner = g.op('Mul', [g.op('Mul', [x, c(FAST_GELU_COEFF)]), poly]);
      return g.op('Mul', [g.op('Mul', [c(0.5), x]), g.op('Add', [c(1), g.op('Tanh', [inner])])]);
    }
    case 'laplace': {
      // 0.5 (1 + erf((x − μ) / (σ √2)))
      const t = g.op('Div', [g.op('Sub', [x, c(LAPLACE_MU)]), c(LAPLACE_SCALE)]);
      return g.op('Mul', [c(0.5), g.op('Add', [c(1), g.op('Erf', [t])])]);
    }
    case 'mish': // x tanh(softplus(x)), softplus(x) = ln(1 + eˣ)
      return g.op('Mul', [x, g.op('Tanh', [g.op('Softplus', [x])])]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'relu2': {
      // relu(x)²
      const r = g.op('Relu', [x]);
      return g.op('Mul', [r, r]);
    }
    case 'relu6':
      return g.op('Clip', [x, c(0), c(6)]);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'tanh':
      return g.op('Tanh', [x]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'linear':
      return x;
  }
}
