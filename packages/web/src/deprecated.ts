// Names the root of @imagegpt/web re-exported before its API was curated, and no longer does. Each
// stays importable from here, marked deprecated with where it is now, until the next minor release
// removes it. The curated root is index.ts.

export {
  /** @deprecated Moved to `@imagegpt/config/json`. */
  type HfJsonOptions,
  /** @deprecated Moved to `@imagegpt/config/json`. */
  previewValue,
  /** @deprecated Moved to `@imagegpt/config/json`. */
  pythonFloat,
  /** @deprecated Moved to `@imagegpt/config/json`. */
  toHfJsonString,
} from '@imagegpt/config/json';
export {
  /** @deprecated Import it from `@imagegpt/core`. */
  OrtSession,
  /** @deprecated Import it from `@imagegpt/core`. */
  type OrtTensorClass,
} from '@imagegpt/core';
export {
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  DTYPE_SIZES,
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  type ExpectedWeight,
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  type ValidateWeightsOptions,
  /** @deprecated Moved to `@imagegpt/core/checkpoint`. */
  validateWeights,
} from '@imagegpt/core/checkpoint';
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
} from '@imagegpt/core/generation';
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
} from '@imagegpt/core/graph';
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
} from '@imagegpt/core/model';
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
} from '@imagegpt/core/onnx';
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
} from '@imagegpt/core/quantize';
export {
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  type CaseMeta,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  compareExactFloats,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  compareFloats,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  compareIntegers,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  outputTolerance,
} from '@imagegpt/heads/conformance';
export {
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  type LbfgsOptions,
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  type LbfgsResult,
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  minimizeLbfgs,
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  type Objective,
} from '@imagegpt/heads/lbfgs';
export {
  /** @deprecated Import it from `@imagegpt/processor`. */
  checkPixelCount,
  /** @deprecated Import it from `@imagegpt/processor`. */
  upscaleNearest,
} from '@imagegpt/processor';
