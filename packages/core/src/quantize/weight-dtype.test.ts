import { ImageGPTConfig, parameterCount } from '@imagegpt/config';
import { describe, expect, it } from 'vitest';
import { buildImageGPTGraph } from '../graph/imagegpt-graph.js';
import { zeroCheckpoint } from '../model/test-utils/zero-checkpoint.js';
import { decodeOnnxModel } from '../onnx/onnx-codec.js';
import {
  bytesPerWeight,
  loadedBytesPerWeight,
  MODEL_DTYPES,
  type ModelDType,
  matrixBytes,
} from './weight-dtype.js';

/** Bytes of every initializer of the causal reference graph built in `dtype`. */
function graphBytes(config: ImageGPTConfig, dtype: ModelDType): number {
  const artifact = buildImageGPTGraph(config, zeroCheckpoint(config), { head: 'causal', dtype });
  const { graph } = decodeOnnxModel(artifact.model);
  return graph.initializer.reduce((sum, t) => sum + (t.rawData?.byteLength ?? 0), 0);
}

/** The [K, N] matrices of a causal iGPT that go through the dtype (lm_head is stored [V−1, C]). */
function matrices(config: ImageGPTConfig): [number, number][] {
  const { nLayer: L, nEmbd: C, innerSize: I, vocabSize: V } = config;
  const block: [number, number][] = [
    [C, 3 * C],
    [C, C],
    [C, I],
    [I, C],
  ];
  return [...Array.from({ length: L }, () => block).flat(), [C, V - 1]];
}

describe('bytes per weight', () => {
  it('counts the code plus its share of a float32 scale and a zero point per block', () => {
    expect(MODEL_DTYPES.map((d) => bytesPerWeight(d))).toEqual([
      4,
      2,
      (32 + 4 + 1) / 32,
      (16 + 4 + 0.5) / 32,
    ]);
    expect(bytesPerWeight('q8', 16)).toBe((16 + 4 + 1) / 16);
    expect(loadedBytesPerWeight('fp16')).toBe(4);
    expect(loadedBytesPerWeight('q4')).toBe(bytesPerWeight('q4'));
  });

  // 64 wide: every input count is a multiple of two blocks, so bytesPerWeight is exact; 48 wide:
  // the last block of each column is padded and an odd block count pads a 4-bit zero point.
  it.each([64, 48])('matches the initializers of a real graph, %i wide', (width) => {
    const config = ImageGPTConfig.fromJSON({
      vocab_size: 17,
      n_positions: 16,
      n_embd: width,
      n_layer: 2,
      n_head: 2,
    });
    const fp32 = graphBytes(config, 'fp32');
    // The float32 graph holds every weight once, plus a few scalar constants of its own.
    const weights = parameterCount(config, 'causal');
    expect(fp32 - 4 * weights).toBeGreaterThanOrEqual(0);
    expect(fp32 - 4 * weights).toBeLessThan(1024);
    const matrixWeights = matrices(config).reduce((n, [k, m]) => n + k * m, 0);
    for (const dtype of MODEL_DTYPES) {
      const saved = matrices(config).reduce(
        (n, [k, m]) => n + matrixBytes('fp32', k, m) - matrixBytes(dtype, k, m),
        0,
      );
      expect(fp32 - graphBytes(config, dtype), dtype).toBe(saved);
      if (width === 64) expect(saved, dtype).toBe(matrixWeights * (4 - bytesPerWeight(dtype)));
    }
  });
});
