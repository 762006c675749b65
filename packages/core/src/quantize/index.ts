/**
 * `@imagegpt/core/quantize`: the weight formats of the graphs: block quantization as ONNX Runtime's
 * `MatMulNBits` reads it, float16 conversion, and the bytes each `ModelDType` takes per weight.
 *
 * @packageDocumentation
 */

export { type BlockQuantized, dequantizeBlockwise, quantizeBlockwise } from './block-quantize.js';
export { float16Bits, fromFloat16, toFloat16 } from './float16.js';
export {
  bytesPerWeight,
  DEFAULT_QUANT_BLOCK_SIZE,
  loadedBytesPerWeight,
  MODEL_DTYPES,
  type ModelDType,
  matrixBytes,
} from './weight-dtype.js';
