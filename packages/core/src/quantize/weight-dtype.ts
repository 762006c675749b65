/**
 * How a model's matrix weights are stored in the ONNX graph. `fp32` is exact; `fp16` halves the file
 * (ONNX Runtime's CPU provider widens it back to float32 when the session loads, so it only saves
 * space); `q8` and `q4` are block-quantized integers run by ONNX Runtime's `MatMulNBits`
 * (com.microsoft). Embeddings, norms and biases always stay float32, and so does the KV cache.
 */
export type ModelDType = 'fp32' | 'fp16' | 'q8' | 'q4';

/** Every {@link ModelDType}, in order of size. */
export const MODEL_DTYPES: readonly ModelDType[] = ['fp32', 'fp16', 'q8', 'q4'];

/** Values per quantization block along the input axis (MatMulNBits needs a power of two ≥ 16). */
export const DEFAULT_QUANT_BLOCK_SIZE = 32;

/** Bits of one stored code, by {@link ModelDType}. */
export const DTYPE_BITS: Readonly<Record<ModelDType, 32 | 16 | 8 | 4>> = { fp32: 32, fp16: 16, q8: 8, q4: 4 };

/** Bytes of one block's step size: MatMulNBits takes float32 scales. */
const SCALE_BYTES = 4;

/**
 * Where the bytes of one output column of a block-quantized [K, N] matrix go, in MatMulNBits'
 * layout: `blocks` runs of `blockSize` inputs (the last one padded), each `blobBytes` of packed
 * codes and one float32 scale, and the column's zero points packed into `zeroPointBytes` (two
 * 4-bit zero points per byte, so an odd block count pads half a byte).
 */
export interface BlockLayout {
  readonly blocks: number;
  readonly blobBytes: number;
  readonly zeroPointBytes: number;
  /** Every byte one column takes: codes, scales and zero points. */
  readonly columnBytes: number;
}

/** The {@link BlockLayout} of a matrix with `k` inputs quantized to `bits` in blocks of `blockSize`. */
export function blockLayout(k: number, bits: 4 | 8, blockSize: number): BlockLayout {
  const blocks = Math.ceil(k / blockSize);
  const blobBytes = (blockSize * bits) / 8;
  const zeroPointBytes = Math.ceil((blocks * bits) / 8);
  return {
    blocks,
    blobBytes,
    zeroPointBytes,
    columnBytes: blocks * (blobBytes + SCALE_BYTES) + zeroPointBytes,
  };
}

/**
 * Bytes a [k, n] matrix weight takes in the graph in `dtype` storage, step sizes and zero points
 * included.
 *
 * @example
 * matrixBytes('q8', 512, 1536); // 1536 columns × 16 blocks × (32 codes + 4-byte scale + 1 zero point)
 */
export function matrixBytes(
  dtype: ModelDType,
  k: number,
  n: number,
  blockSize = DEFAULT_QUANT_BLOCK_SIZE,
): number {
  const bits = DTYPE_BITS[dtype];
  if (bits === 32 || bits === 16) return (k * n * bits) / 8;
  return n * blockLayout(k, bits, blockSize).columnBytes;
}

/**
 * Bytes per matrix weight in the graph file, by dtype: 4 for fp32, 2 for fp16, and for q8 / q4 the
 * code plus a share of its block's float32 scale and zero point (q8 with blocks of 32:
 * (32 + 4 + 1) / 32 = 1.15625; q4: (16 + 4 + 0.5) / 32 = 0.640625). Exact for matrices whose input
 * count is a multiple of two blocks (every iGPT size); otherwise the padding adds a little.
 * Embeddings, norms and biases stay float32 (4 bytes) whatever the dtype.
 */
export function bytesPerWeight(dtype: ModelDType, blockSize = DEFAULT_QUANT_BLOCK_SIZE): number {
  const k = 2 * blockSize;
  return matrixBytes(dtype, k, 1, blockSize) / k;
}

/**
 * Bytes per matrix weight a loaded ONNX Runtime session holds and a forward pass reads: fp16
 * weights feed a Cast to float32 that the runtime folds into a float32 constant when the session
 * loads, so they cost what fp32 ones do; quantized weights stay packed (MatMulNBits reads them as
 * stored), as {@link bytesPerWeight} counts them.
 */
export function loadedBytesPerWeight(dtype: ModelDType, blockSize = DEFAULT_QUANT_BLOCK_SIZE): number {
  return dtype === 'fp16' ? bytesPerWeight('fp32') : bytesPerWeight(dtype, blockSize);
}
