import type { Checkpoint } from '../checkpoint/index.js';
import { OnnxDataType } from '../onnx/onnx-messages.js';
import { quantizeBlockwise } from '../quantize/block-quantize.js';
import { toFloat16 } from '../quantize/float16.js';
import type { ModelDType } from '../quantize/weight-dtype.js';
import type { GraphBuilder } from './graph-builder.js';

/** Options of one {@link LinearLayer} call. */
export interface LinearOptions {
  /** The checkpoint stores the matrix [out, in] (nn.Linear) rather than [in, out] (HF's Conv1D). */
  readonly transposed?: boolean;
  /** A fixed output name (graph outputs). */
  readonly output?: string;
  /** Keep this weight float32 whatever the dtype. */
  readonly exact?: boolean;
  /**
   * A bias to add, fused into one Gemm when the weight is float (then `x` must be 2-D [M, K]); with
   * MatMulNBits it is a separate Add.
   */
  readonly bias?: string;
  /** Values to use instead of the checkpoint's (same shape, as stored), e.g. with a scale folded in. */
  readonly values?: Float32Array;
}

/**
 * The checkpoint tensor `name` as a float32 initializer of shape `dims`: left in its file when it
 * is stored there as float32 (read only if the placement needs it in memory), else widened now.
 */
export function checkpointInitializer(
  g: GraphBuilder,
  checkpoint: Checkpoint,
  name: string,
  dims: readonly number[],
): string {
  const tensor = checkpoint.get(name);
  return liesInFile(checkpoint, name) && tensor.file !== undefined
    ? g.addFileInitializer(name, dims, tensor.file, () => tensor.bytes)
    : g.addInitializer(name, dims, checkpoint.float32(name));
}

/** Whether `name` will be handed to a runtime straight from its file (F32, aligned): derive nothing from it then. */
export function liesInFile(checkpoint: Checkpoint, name: string): boolean {
  const tensor = checkpoint.get(name);
  return tensor.dtype === 'F32' && tensor.file !== undefined && tensor.file.offset % 4 === 0;
}

/** Emits `x @ W` for the checkpoint weight `name` in the chosen storage; returns the output name. */
export type LinearLayer = (x: string, name: string, options?: LinearOptions) => string;

// MatMulNBits' accuracy_level 4 lets onnxruntime quantize the activations to int8 per block and use
// the CPU's integer dot products (level 1 keeps them float32), for q8 and q4 alike. Measured on the
// small-causal golden (max |logit − HF|, onnxruntime-node 1.30): q8 0.075 at level 1, 0.099 at
// level 4; q4 1.2035 at level 1, 1.2040 at level 4, where the 4-bit weights' own error dominates.
const ACCURACY_LEVEL = 4;

/**
 * A matrix product against a checkpoint weight in `dtype` storage: a plain MatMul over float32 (or
 * float16 widened by a Cast) weights, or ONNX Runtime's MatMulNBits over block-quantized ones.
 */
export function linearLayer(
  g: GraphBuilder,
  checkpoint: Checkpoint,
  dtype: ModelDType,
  blockSize: number,
): LinearLayer {
  return (x, name, options = {}) => {
    const [rows, cols] = checkpoint.get(name).shape as [number, number];
    const transposed = options.transposed === true;
    const [k, n] = transposed ? [cols, rows] : [rows, cols];
    const kind = options.exact ? 'fp32' : dtype;
    // [in, out] float32 values (nn.Linear weights transposed once here).
    const stored = () => options.values ?? checkpoint.float32(name);
    const matrix = () => (transposed ? transpose(stored(), rows, cols) : stored());
    const out = options.output;
    const { bias } = options;
    const product = (w: string) =>
      bias === undefined ? g.op('MatMul', [x, w], {}, out) : g.op('Gemm', [x, w, bias], {}, out);
    switch (kind) {
      case 'fp32':
        return product(
          transposed || options.values !== undefined
            ? g.addInitializer(transposed ? `${name}.T` : name, [k, n], matrix())
            : checkpointInitializer(g, checkpoint, name, [k, n]),
        );
      case 'fp16': {
        const w = g.addInitializer(`${name}${transposed ? '.T' : ''}.fp16`, [k, n], toFloat16(matrix()));
        return product(g.op('Cast', [w], { to: OnnxDataType.FLOAT }));
      }
      case 'q8':
      case 'q4': {
        const bits = kind === 'q8' ? 8 : 4;
        const q = quantizeBlockwise(matrix(), k, n, bits, blockSize);
        const blocks = Math.ceil(k / blockSize);
        const data = g.addInitializer(`${name}.${kind}`, [n, blocks, (blockSize * bits) / 8], q.data);
        const scales = g.addInitializer(`${name}.${kind}.scales`, [n * blocks], q.scales);
        const zeros = g.addInitializer(`${name}.${kind}.zero_points`, [q.zeroPoints.length], q.zeroPoints);
        const [y] = g.contribOp(
          'MatMulNBits',
          [x, data, scales, zeros],
          1,
          { K: k, N: n, bits, block_size: blockSize, accuracy_level: ACCURACY_LEVEL },
          out === undefined || bias !== undefined ? undefined : [out],
        );
        return bias === undefined ? (y as string) : g.op('Add', [y as string, bias], {}, out);
      }
    }
  };
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}
