import { blockLayout } from './weight-dtype.js';

/** A weight matrix in MatMulNBits' layout (com.microsoft, ONNX Runtime ≥ 1.17). */
export interface BlockQuantized {
  /** Input features K and output features N of the original [K, N] matrix. */
  readonly k: number;
  readonly n: number;
  readonly bits: 4 | 8;
  readonly blockSize: number;
  /** [N, blocksPerColumn, blockSize·bits/8] packed unsigned codes, low nibble first for 4 bits. */
  readonly data: Uint8Array;
  /** [N · blocksPerColumn] float32 step sizes. */
  readonly scales: Float32Array;
  /** [N · ⌈blocksPerColumn·bits/8⌉] packed zero points (the code that decodes to 0). */
  readonly zeroPoints: Uint8Array;
}

/**
 * Asymmetric block quantization of a float32 [K, N] matrix (rows are input features, as HF's
 * Conv1D stores them): each run of `blockSize` inputs of one output column gets its own step size and
 * zero point, spanning the block's min and max (0 always included, so zero stays exact). The
 * decoded weight is `(code − zeroPoint) · scale`. A last partial block is padded with zeros.
 *
 * @example
 * const q = quantizeBlockwise(weight, 512, 1536, 8, 32); // then MatMulNBits(A, q.data, q.scales, q.zeroPoints)
 */
export function quantizeBlockwise(
  weight: Float32Array,
  k: number,
  n: number,
  bits: 4 | 8,
  blockSize: number,
): BlockQuantized {
  if (weight.length !== k * n)
    throw new RangeError(`quantizeBlockwise: ${weight.length} values, [${k}, ${n}] needs ${k * n}`);
  if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    throw new RangeError(`quantizeBlockwise: blockSize is ${blockSize}, expected a power of two ≥ 16`);
  const { blocks, blobBytes, zeroPointBytes: zpBytesPerColumn } = blockLayout(k, bits, blockSize);
  const maxCode = (1 << bits) - 1;
  const data = new Uint8Array(n * blocks * blobBytes);
  const scales = new Float32Array(n * blocks);
  const zeroPoints = new Uint8Array(n * zpBytesPerColumn);
  const codes = new Uint8Array(blockSize);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      let lo = 0;
      let hi = 0;
      for (let r = start; r < end; r++) {
        const w = weight[r * n + col] as number;
        if (w < lo) lo = w;
        if (w > hi) hi = w;
      }
      // Math.fround: the runtime decodes with the float32 scale, so quantize against that same value.
      const scale = Math.fround((hi - lo) / maxCode);
      const zero = scale === 0 ? 0 : Math.min(maxCode, Math.max(0, Math.round(-lo / scale)));
      codes.fill(zero);
      if (scale !== 0) {
        for (let r = start; r < end; r++) {
          const q = Math.round((weight[r * n + col] as number) / scale) + zero;
          codes[r - start] = Math.min(Math.max(q, 0), maxCode);
        }
      }
      const blockIndex = col * blocks + b;
      scales[blockIndex] = scale;
      const base = blockIndex * blobBytes;
      if (bits === 8) {
        data.set(codes, base);
        zeroPoints[col * zpBytesPerColumn + b] = zero;
      } else {
        for (let i = 0; i < blockSize; i += 2)
          data[base + i / 2] = (codes[i] as number) | ((codes[i + 1] as number) << 4);
        const zpIndex = col * zpBytesPerColumn + (b >> 1);
        zeroPoints[zpIndex] = (zeroPoints[zpIndex] as number) | (zero << ((b & 1) * 4));
      }
    }
  }
  return { k, n, bits, blockSize, data, scales, zeroPoints };
}

/** The float32 [K, N] matrix a {@link BlockQuantized} decodes to (what MatMulNBits multiplies by). */
export function dequantizeBlockwise(q: BlockQuantized): Float32Array {
  const { k, n, bits, blockSize, data, scales, zeroPoints } = q;
  const { blocks, blobBytes, zeroPointBytes: zpBytesPerColumn } = blockLayout(k, bits, blockSize);
  const out = new Float32Array(k * n);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const blockIndex = col * blocks + b;
      const scale = scales[blockIndex] as number;
      const zpByte = zeroPoints[col * zpBytesPerColumn + (bits === 8 ? b : b >> 1)] as number;
      const zero = bits === 8 ? zpByte : (zpByte >> ((b & 1) * 4)) & 0xf;
      for (let i = 0; i < blockSize && b * blockSize + i < k; i++) {
        const byte = data[blockIndex * blobBytes + (bits === 8 ? i : i >> 1)] as number;
        const code = bits === 8 ? byte : (byte >> ((i & 1) * 4)) & 0xf;
        out[(b * blockSize + i) * n + col] = Math.fround((code - zero) * scale);
      }
    }
  }
  return out;
}
