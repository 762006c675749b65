import { loadedBytesPerWeight } from '@imagegpt/core/quantize';
import type { ImageGPTConfig, ModelDType } from '@imagegpt/node';
import type { DecodeFigure } from './bench-results.js';

/**
 * Weights of a causal iGPT that sit in matrices (and so take the dtype's storage): per block
 * c_attn, attention c_proj, c_fc and MLP c_proj, plus lm_head (V − 1 rows).
 */
export function matrixWeights(config: ImageGPTConfig): number {
  const { nLayer: L, nEmbd: C, innerSize: I, vocabSize: V } = config;
  return L * (C * 3 * C + C * C + C * I + I * C) + C * (V - 1);
}

/**
 * Bytes of the weights a decode step reads: every matrix as a loaded session holds it, plus the
 * float32 norms, biases and the one wte and wpe row of the new token.
 */
export function weightBytesPerStep(config: ImageGPTConfig, dtype: ModelDType): number {
  const { nLayer: L, nEmbd: C, innerSize: I } = config;
  const small = L * (2 * C + 3 * C + C + I + C) + C + 2 * C;
  return matrixWeights(config) * loadedBytesPerWeight(dtype) + small * 4;
}

/** KV-cache bytes a step at `position` reads for `batch` rows (keys and values of positions 0..position). */
export function cacheBytesAt(config: ImageGPTConfig, batch: number, position: number): number {
  return 2 * config.nLayer * batch * (position + 1) * config.nEmbd * 4;
}

/** The bandwidth limit of the decode step at `position`, in ms: the bytes it must read / bandwidth. */
export function decodeLimitMs(
  config: ImageGPTConfig,
  dtype: ModelDType,
  batch: number,
  position: number,
  bandwidthGBs: number,
): number {
  const bytes = weightBytesPerStep(config, dtype) + cacheBytesAt(config, batch, position);
  return (bytes / (bandwidthGBs * 1e9)) * 1e3;
}

/** Useful FLOPs of a causal forward over `tokens` positions per row: matrices plus causal attention. */
export function forwardFlops(config: ImageGPTConfig, rows: number, tokens: number): number {
  const { nLayer: L, nEmbd: C } = config;
  const attention = L * 4 * C * ((tokens * (tokens + 1)) / 2);
  return rows * (2 * matrixWeights(config) * tokens + attention);
}

/** `figure`'s limits re-expressed against another bandwidth reading (`from` → `to` GB/s). */
export function atBandwidth(figure: DecodeFigure, from: number, to: number): DecodeFigure {
  const k = from / to;
  return {
    ...figure,
    limitMsPerStep: figure.limitMsPerStep * k,
    ratioToLimit: figure.ratioToLimit / k,
    near: figure.near.map((n) => ({ ...n, limitMs: n.limitMs * k, ratio: n.ratio / k })),
  };
}
