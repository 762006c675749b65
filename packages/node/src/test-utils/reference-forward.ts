import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import { Checkpoint, type WeightTensor } from '@imagegpt/core';
import { expectedImageGPTWeights } from '@imagegpt/core/graph';
import { referenceActivation as act } from '@imagegpt/test-kit/math';

// A direct float64 transcription of HF's ImageGPT forward (modeling_imagegpt.py), loop by loop, to
// check the ONNX graph on configs the goldens do not cover (other activations, attention switches).

const FINFO_MIN = -3.4028234663852886e38;
type Matrix = number[][]; // [T][C]

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
