// @imagegpt/core: backend-agnostic ImageGPT. Data flows bytes → checkpoint → graph → session → generation.
//
// The root is the API a user of core calls: the runtime interface a backend implements, file
// sources and checkpoint readers, the runner and `generate`, and the errors. The machinery under
// them has its own entry points: `@imagegpt/core/graph` (the three graph builders, GraphBuilder),
// `/onnx` (the ONNX codec), `/quantize` (block quantization, float16, bytes per weight), `/model`
// (the decoders), `/generation` (the sampling steps), `/checkpoint` (dtype sizes, weight checks,
// weight file names, shard indexes) and `/hub` (the hub protocol's platform-free parts).
export type {
  BackendSession,
  BackendSessionOptions,
  DeviceTensor,
  HostTensor,
  HostTensorType,
  ImageGPTBackend,
  ModelArtifact,
  SessionTensor,
} from './backend/index.js';
export { isDeviceTensor, OrtSession, type OrtTensorClass } from './backend/index.js';
export {
  type ByteRangeReader,
  Checkpoint,
  CheckpointError,
  type CheckpointErrorInfo,
  type CheckpointInfo,
  type InspectCheckpointOptions,
  inspectCheckpoint,
  type LoadCheckpointOptions,
  type LoadProgress,
  loadCheckpoint,
  type ReadCheckpointOptions,
  type ReadPytorchBinOptions,
  type ReadSafetensorsByRangeOptions,
  readPytorchBin,
  readSafetensors,
  readSafetensorsByRange,
  type SafetensorsInput,
  type SafetensorsLayout,
  type SafetensorsSpec,
  safetensorsLayout,
  type TensorInfo,
  WEIGHT_FILES,
  WEIGHT_FORMATS,
  type WeightDType,
  type WeightFormat,
  type WeightTensor,
  writeSafetensors,
} from './checkpoint/index.js';
export * from './deprecated.js';
export {
  type AbortSignalLike,
  DEFAULT_TOP_K,
  type GenerateOptions,
  type GenerateResult,
  type GenerationConfigLike,
  GenerationError,
  type GenerativeModel,
  generate,
  MAX_GENERATION_ROWS,
  type RowEvent,
  type TokenEvent,
} from './generation/index.js';
export type { DecoderKind, PrefillKind } from './graph/index.js';
export { HubError, type HubErrorDetails, type HubErrorReason } from './hub/index.js';
export {
  DEFAULT_FILE_LIMITS,
  type FileLimits,
  FilePolicyError,
  type FilePolicyErrorDetails,
  type FilePolicyRule,
  type FileReadOptions,
  type FileSource,
  type LocalFile,
} from './io/index.js';
export {
  type Decoder,
  type ForwardOptions,
  type ForwardResult,
  type GraphFallback,
  ImageGPTRunner,
  type ImageGPTRunnerOptions,
  type KeyValueCache,
  ModelInputError,
} from './model/index.js';
export { MODEL_DTYPES, type ModelDType } from './quantize/index.js';
