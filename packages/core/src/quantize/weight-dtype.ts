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
