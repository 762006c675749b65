import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import { Checkpoint, type WeightTensor } from '@imagegpt/core';
import { expectedImageGPTWeights } from '@imagegpt/core/graph';

// A direct float64 transcription of HF's ImageGPT forward (modeling_imagegpt.py), loop by loop, to
// check the ONNX graph on configs the goldens do not cover (other activations, attention switches).

const FINFO_MIN = -3.4028234663852886e38;
type Matrix = number[][]; // [T][C]

function act(name: ImageGPTConfig['activationFunction'], x: number): number {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  switch (name) {
    case 'quick_gelu':
      return x * sig(1.702 * x);
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return tanhGelu(x);
    case 'gelu_fast':
      return 0.5 * x * (1 + Math.tanh(x * 0.7978845608 * (1 + 0.044715 * x * x)));
    case 'relu':
      return Math.max(0, x);
    case 'silu':
    case 'swish':
      return x * sig(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sig(x);
    case 'linear':
      return x;
  }
}

// Abramowitz–Stegun 7.1.26 is too coarse here; this series/continued-fraction pair is exact to ~1e-15.
function erf(x: number): number {
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

/** HF-semantics forward in float64: logits (causal [B][T][V−1], classifier [B][K]) and last hidden state. */
export function referenceForward(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  head: ModelHead,
  ids: number[][],
  mask: number[][],
  prefix = 'transformer.',
): { logits: number[][][] | number[][]; last: number[][][] } {
  const W = (name: string) => Array.from(checkpoint.float32(name));
  const { nEmbd: C, nHead: H, headDim: D, innerSize: I, layerNormEpsilon: eps } = config;
  const ln = (x: Matrix, w: number[]) =>
    x.map((row) => {
      const rms = Math.sqrt(row.reduce((s, v) => s + v * v, 0) / row.length + eps);
      return row.map((v, c) => (v / rms) * (w[c] as number));
    });
  const conv = (x: Matrix, w: number[], b: number[], nOut: number) =>
    x.map((row) =>
      Array.from({ length: nOut }, (_, o) =>
        row.reduce((s, v, i) => s + v * (w[i * nOut + o] as number), b[o] as number),
      ),
    );

  const wte = W(`${prefix}wte.weight`);
  const wpe = W(`${prefix}wpe.weight`);
  const last = ids.map((row, b) => {
    let h: Matrix = row.map((id, t) =>
      Array.from({ length: C }, (_, c) => (wte[id * C + c] as number) + (wpe[t * C + c] as number)),
    );
    const T = row.length;
    for (let l = 0; l < config.nLayer; l++) {
      const p = `${prefix}h.${l}.`;
      const qkv = conv(
        ln(h, W(`${p}ln_1.weight`)),
        W(`${p}attn.c_attn.weight`),
        W(`${p}attn.c_attn.bias`),
        3 * C,
      );
      const merged: Matrix = Array.from({ length: T }, () => new Array<number>(C).fill(0));
      for (let hd = 0; hd < H; hd++) {
        for (let i = 0; i < T; i++) {
          const scores = Array.from({ length: T }, (_, j) => {
            let s = 0;
            for (let d = 0; d < D; d++)
              s += (qkv[i]?.[hd * D + d] as number) * (qkv[j]?.[C + hd * D + d] as number);
            if (config.scaleAttnWeights) s /= Math.sqrt(D);
            if (config.scaleAttnByInverseLayerIdx) s /= l + 1;
            if (j > i) s = FINFO_MIN;
            // (1 − mask)·min, added: finfo.min + finfo.min overflows to −inf in float32, so model that.
            if (mask[b]?.[j] === 0) s = s === FINFO_MIN ? Number.NEGATIVE_INFINITY : FINFO_MIN;
            return s;
          });
          const max = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - max));
          const z = e.reduce((a, v) => a + v, 0);
          for (let d = 0; d < D; d++) {
            let v = 0;
            for (let j = 0; j < T; j++)
              v += ((e[j] as number) / z) * (qkv[j]?.[2 * C + hd * D + d] as number);
            (merged[i] as number[])[hd * D + d] = v;
          }
        }
      }
      const attn = conv(merged, W(`${p}attn.c_proj.weight`), W(`${p}attn.c_proj.bias`), C);
      h = h.map((r, t) => r.map((v, c) => v + (attn[t]?.[c] as number)));
      const fc = conv(ln(h, W(`${p}ln_2.weight`)), W(`${p}mlp.c_fc.weight`), W(`${p}mlp.c_fc.bias`), I).map(
        (r) => r.map((v) => act(config.activationFunction, v)),
      );
      const mlp = conv(fc, W(`${p}mlp.c_proj.weight`), W(`${p}mlp.c_proj.bias`), C);
      h = h.map((r, t) => r.map((v, c) => v + (mlp[t]?.[c] as number)));
    }
    return ln(h, W(`${prefix}ln_f.weight`));
  });
  const linear = (x: number[], w: number[], rows: number) =>
    Array.from({ length: rows }, (_, o) => x.reduce((s, v, c) => s + v * (w[o * C + c] as number), 0));
  if (head === 'causal') {
    const lm = W('lm_head.weight');
    return { logits: last.map((rows) => rows.map((x) => linear(x, lm, config.vocabSize - 1))), last };
  }
  if (head === 'classifier') {
    const score = W('score.weight');
    const pooled = last.map((rows) =>
      Array.from({ length: C }, (_, c) => rows.reduce((s, r) => s + (r[c] as number), 0) / rows.length),
    );
    return { logits: pooled.map((x) => linear(x, score, config.numLabels)), last };
  }
  return { logits: [], last };
}

/** Seeded weights with the goldens' recipe (activations O(1)): norms U(0.8,1.2), embeddings N(0,0.5²), ... */
export function randomCheckpoint(
  config: ImageGPTConfig,
  head: ModelHead,
  seed: number,
  prefix = 'transformer.',
): Checkpoint {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const tensors: WeightTensor[] = expectedImageGPTWeights(config, head, prefix).map(({ name, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn =
      name.endsWith('lm_head.weight') || name.endsWith('score.weight')
        ? (shape[1] as number)
        : (shape[0] as number);
    const draw = name.includes('ln_')
      ? () => 0.8 + 0.4 * uniform()
      : name.includes('wte') || name.includes('wpe')
        ? () => 0.5 * normal()
        : name.endsWith('.bias')
          ? () => 0.1 * normal()
          : () => (1.2 / Math.sqrt(fanIn)) * normal();
    const data = Float32Array.from({ length: n }, draw);
    return { name, dtype: 'F32', shape, bytes: new Uint8Array(data.buffer) };
  });
  return new Checkpoint(tensors, { source: `random-${seed}` });
}
