export { type BlockQuantized, dequantizeBlockwise, quantizeBlockwise } from './block-quantize.js';
export { float16Bits, fromFloat16, toFloat16 } from './float16.js';
export { DEFAULT_QUANT_BLOCK_SIZE, MODEL_DTYPES, type ModelDType } from './weight-dtype.js';
