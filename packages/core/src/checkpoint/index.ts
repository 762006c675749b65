/**
 * `@imagegpt/core/checkpoint`: the checkpoint readers (also at the root) and what lies under them: the
 * byte size of each tensor dtype (`DTYPE_SIZES`) and `validateWeights`, the check of names and shapes
 * against a list of expected tensors.
 *
 * @packageDocumentation
 */

export { Checkpoint, DeferredWeight, type WeightTensor } from './checkpoint.js';
export { DTYPE_SIZES, type WeightDType } from './dtype.js';
export { CheckpointError, type CheckpointErrorInfo } from './errors.js';
export {
  type CheckpointInfo,
  type InspectCheckpointOptions,
  inspectCheckpoint,
  type TensorInfo,
} from './inspect.js';
export {
  type LoadCheckpointOptions,
  type LoadProgress,
  loadCheckpoint,
  WEIGHT_FORMATS,
  type WeightFormat,
  weightFormatOrder,
} from './load.js';
export { type ReadPytorchBinOptions, readPytorchBin } from './pytorch-zip.js';
export {
  type ByteRangeReader,
  type ReadCheckpointOptions,
  type ReadSafetensorsByRangeOptions,
  readSafetensors,
  readSafetensorsByRange,
  readSafetensorsHeader,
  type SafetensorsHeader,
  type SafetensorsInput,
  type SafetensorsLayout,
  type SafetensorsSpec,
  safetensorsLayout,
  writeSafetensors,
} from './safetensors.js';
export { type ExpectedWeight, type ValidateWeightsOptions, validateWeights } from './validate.js';
export { readShardIndex, WEIGHT_FILES, type WeightFileNames } from './weight-files.js';
