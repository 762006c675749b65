import type { ImageGPTRunner } from '@imagegpt/core';
import { HeadsError } from './heads-error.js';
import { batchRanges, float32Data } from './model-inputs.js';

/** Options of `features()` on every head. */
export interface FeatureOptions {
  /**
   * Which HF `hidden_states` entry: 0 is the embedding sum, i the output of block i − 1, and
   * `nLayer` (the default) the last block after `ln_f`, i.e. `last_hidden_state`.
   */
  layer?: number;
  /** `'mean'` (default) averages over all positions → `[C]`; `'none'` keeps every position → `[T·C]`. */
  pooling?: 'mean' | 'none';
  /**
   * Prepend SOS (and drop the last pixel when the row would outgrow the context), giving the
   * causal model's training input `[SOS] + pixels[0:HW−1]`. Default false: the processor's ids as
   * they are, which is what HF's classifier feeds.
   */
  addSos?: boolean;
  /** Rows per forward pass (default 32). */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (e: { done: number; total: number }) => void;
}

/** Hidden-state features of token rows, one Float32Array per row. */
export async function extractFeatures(
  runner: ImageGPTRunner,
  rows: readonly (readonly number[])[],
  options: FeatureOptions = {},
): Promise<Float32Array[]> {
  const { config } = runner;
  const layer = options.layer ?? config.nLayer;
  const pooling = options.pooling ?? 'mean';
  if (!Number.isInteger(layer) || layer < 0 || layer > config.nLayer) {
    throw new HeadsError(`is ${layer}, expected a hidden_states index in 0..${config.nLayer}`, {
      source: 'options.layer',
    });
  }
  if (pooling !== 'mean' && pooling !== 'none') {
    throw new HeadsError(`is ${String(pooling)}, expected 'mean' or 'none'`, { source: 'options.pooling' });
  }
  const inputs = options.addSos
    ? rows.map((row) => [config.sosTokenId, ...row].slice(0, config.nPositions))
    : rows.map((row) => [...row]);
  const width = config.nEmbd;
  const out: Float32Array[] = [];
  for (const [start, end] of batchRanges(inputs, options.batchSize ?? 32)) {
    const batch = inputs.slice(start, end);
    const wantHidden = layer !== config.nLayer;
    const result = await runner.forward(batch, { outputHiddenStates: wantHidden });
    const tensor = wantHidden ? result.hiddenStates?.[layer] : result.lastHiddenState;
    if (tensor === undefined)
      throw new HeadsError(`the runner returned no hidden_states[${layer}]`, { source: 'features' });
    const data = float32Data(tensor, `hidden_states[${layer}]`);
    const length = batch[0]!.length;
    for (let b = 0; b < batch.length; b++) {
      const offset = b * length * width;
      if (pooling === 'none') {
        out.push(data.slice(offset, offset + length * width));
        continue;
      }
      // Summing in float64 keeps the mean independent of the sequence length's rounding.
      const sum = new Float64Array(width);
      for (let t = 0; t < length; t++) {
        const row = offset + t * width;
        for (let c = 0; c < width; c++) sum[c] = sum[c]! + data[row + c]!;
      }
      out.push(Float32Array.from(sum, (s) => s / length));
    }
    options.onProgress?.({ done: end, total: inputs.length });
  }
  return out;
}
