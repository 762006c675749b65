import { ACTIVATION_FUNCTIONS, type ActivationFunction } from '@imagegpt/config';
import { referenceActivation } from '@imagegpt/test-kit/math';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import { activation } from './activation.js';
import { GraphBuilder } from './graph-builder.js';

// Each activation of the graph builder against its definition in HF's activations.py, evaluated in
// float64 (the test kit's referenceActivation), on the real runtime. The tolerance is float32 noise:
// a handful of roundings of the result and of the input's scale.
const EPS32 = 2 ** -24;
const tolerance = (x: number, want: number) => 16 * EPS32 * (1 + Math.abs(x) + Math.abs(want));

/** float32 inputs: a dense sweep of [-12, 12], the clip and kink points, and far tails. */
const INPUTS = Float32Array.from([
  ...Array.from({ length: 2401 }, (_, i) => -12 + i / 100),
  -60,
  -30,
  -20,
  -10.5,
  -1e-3,
  -1e-7,
  0,
  1e-7,
  1e-3,
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: laplace's mu, HF's literal
  0.707107,
  5.999,
  6,
  6.001,
  10.5,
  20,
  30,
  60,
]);

async function run(name: ActivationFunction, x: Float32Array): Promise<Float32Array> {
  const g = new GraphBuilder(`act_${name}`);
  const input = g.input('x', OnnxDataType.FLOAT, [x.length]);
  // `linear` returns its input; an Identity gives the graph an output of its own.
  g.op('Identity', [activation(g, name, input)], {}, 'y');
  g.output('y', OnnxDataType.FLOAT, [x.length]);
  const session = await InferenceSession.create(g.toArtifact().model);
  try {
    const { y } = await session.run({ x: new Tensor('float32', x, [x.length]) });
    return y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('activation: every ACT2FN name of transformers 4.31, against its float64 definition', () => {
  it('covers the 18 names of the table (no learned parameters)', () => {
    expect([...ACTIVATION_FUNCTIONS].sort()).toEqual([
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
      'quick_gelu',
      'relu',
      'relu2',
      'relu6',
      'sigmoid',
      'silu',
      'swish',
      'tanh',
    ]);
  });

  it.each(ACTIVATION_FUNCTIONS)('%s', async (name) => {
    const got = await run(name, INPUTS);
    const bad: string[] = [];
    INPUTS.forEach((x, i) => {
      const want = referenceActivation(name, x);
      const err = Math.abs(got[i]! - want);
      if (!(err <= tolerance(x, want))) bad.push(`x=${x}: got ${got[i]}, want ${want}`);
    });
    expect(bad.slice(0, 5)).toEqual([]);
  });
});
