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

/** Options of `featuresByLayer()`: {@link FeatureOptions} with several layers at once. */
export interface LayerFeatureOptions extends Omit<FeatureOptions, 'layer'> {
  /** HF `hidden_states` indices (0..nLayer); default all of them. */
  layers?: readonly number[];
}

/** Hidden-state features of token rows, one Float32Array per row. */
export async function extractFeatures(
  runner: ImageGPTRunner,
  rows: readonly (readonly number[])[],
  options: FeatureOptions = {},
): Promise<Float32Array[]> {
  const { layer = runner.config.nLayer, ...rest } = options;
  const [features] = await extractFeaturesByLayer(
    runner,
    rows,
    { ...rest, layers: [layer] },
    'options.layer',
  );
  return features!;
}

/**
 * Features of several hidden layers from one forward pass per batch: `result[i][r]` is layer
 * `layers[i]` of row `r`. A linear probe over every layer costs one pass, not one per layer.
 */
export async function extractFeaturesByLayer(
  runner: ImageGPTRunner,
  rows: readonly (readonly number[])[],
  options: LayerFeatureOptions = {},
  source = 'options.layers',
): Promise<Float32Array[][]> {
  const { config } = runner;
  const layers = options.layers ?? Array.from({ length: config.nLayer + 1 }, (_, i) => i);
  const pooling = options.pooling ?? 'mean';
  for (const layer of layers) {
    if (!Number.isInteger(layer) || layer < 0 || layer > config.nLayer) {
      throw new HeadsError(`is ${layer}, expected a hidden_states index in 0..${config.nLayer}`, { source });
    }
  }
  if (pooling !== 'mean' && pooling !== 'none') {
    throw new HeadsError(`is ${String(pooling)}, expected 'mean' or 'none'`, { source: 'options.pooling' });
  }
  const inputs = options.addSos
    ? rows.map((row) => [config.sosTokenId, ...row].slice(0, config.nPositions))
    : rows.map((row) => [...row]);
  const width = config.nEmbd;
  const out: Float32Array[][] = layers.map(() => []);
  const wantHidden = layers.some((layer) => layer !== config.nLayer);
  for (const [start, end] of batchRanges(inputs, options.batchSize ?? 32)) {
    const batch = inputs.slice(start, end);
    const result = await runner.forward(batch, { outputHiddenStates: wantHidden });
    const length = batch[0]!.length;
    layers.forEach((layer, i) => {
      const tensor = layer === config.nLayer ? result.lastHiddenState : result.hiddenStates?.[layer];
      if (tensor === undefined)
        throw new HeadsError(`the runner returned no hidden_states[${layer}]`, { source: 'features' });
      const data = float32Data(tensor, `hidden_states[${layer}]`);
      for (let b = 0; b < batch.length; b++)
        out[i]!.push(pool(data, b * length * width, length, width, pooling));
    });
    options.onProgress?.({ done: end, total: inputs.length });
  }
  return out;
}

function pool(
  data: Float32Array,
  offset: number,
  length: number,
  width: number,
  pooling: 'mean' | 'none',
): Float32Array {
  if (pooling === 'none') return data.slice(offset, offset + length * width);
  // Summing in float64 keeps the mean independent of the sequence length's rounding.
  const sum = new Float64Array(width);
  for (let t = 0; t < length; t++) {
    const row = offset + t * width;
    for (let c = 0; c < width; c++) sum[c] = sum[c]! + data[row + c]!;
  }
  return Float32Array.from(sum, (s) => s / length);
}
