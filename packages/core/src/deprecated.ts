// Names that left the root of @imagegpt/core for an entry point of their own (or were renamed). Each
// stays importable from the root, marked deprecated with where it went, until the next minor release
// removes it here; the entry points keep them. The curated root is index.ts.

export {
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  DTYPE_SIZES,
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  type ExpectedWeight,
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  type ValidateWeightsOptions,
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  validateWeights,
} from './checkpoint/index.js';
export {
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  applyWarpers,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  argmaxRows,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  createAbortError,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  createRng,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  type Rng,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  randomSeed,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  sampleIndex,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  sampleRows,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  softmaxRows,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  temperatureWarp,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  topKWarp,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  topPWarp,
  /** @deprecated Moved to `@imagegpt/core/generation`. */
  type WarperOptions,
} from './generation/index.js';
export {
  /** @deprecated Pick the builder instead (`@imagegpt/core/graph`). */
  type AttentionKind,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  buildDecodeGraph,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  buildImageGPTGraph,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  buildPrefillGraph,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  checkImageGPTWeights,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  DEFAULT_EXTERNAL_DATA_THRESHOLD,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  type DecodeGraphOptions,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  expectedImageGPTWeights,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  FLOAT32_MIN,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  GraphBuilder,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  type ImageGPTGraphOptions,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  type InitializerData,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  MS_DOMAIN,
  /** @deprecated Moved to `@imagegpt/core/graph`. */
  type PrefillGraphOptions,
} from './graph/index.js';
export {
  /** @deprecated Moved to `@imagegpt/core/model`. */
  type DecoderModel,
  /** @deprecated Moved to `@imagegpt/core/model`. */
  FastDecoder,
  /** @deprecated Use `ModelHead` from `@imagegpt/config`. */
  type HeadKind,
  /** @deprecated Renamed `ReferenceDecoder`, in `@imagegpt/core/model`. */
  KVDecoder,
  /** @deprecated Moved to `@imagegpt/core/model`. */
  ReferenceDecoder,
} from './model/index.js';
export {
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  decodeOnnxModel,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  encodeOnnxModel,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxAttribute,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  OnnxAttributeType,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  OnnxDataLocation,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  OnnxDataType,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxDataTypeCode,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxDim,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxEntry,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxGraph,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxModel,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxNode,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxTensor,
  /** @deprecated Moved to `@imagegpt/core/onnx`. */
  type OnnxValueInfo,
} from './onnx/index.js';
export {
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  type BlockQuantized,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  bytesPerWeight,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  DEFAULT_QUANT_BLOCK_SIZE,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  dequantizeBlockwise,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  float16Bits,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  fromFloat16,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  loadedBytesPerWeight,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  matrixBytes,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  quantizeBlockwise,
  /** @deprecated Moved to `@imagegpt/core/quantize`. */
  toFloat16,
} from './quantize/index.js';
