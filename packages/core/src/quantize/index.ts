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
