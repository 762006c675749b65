export { Checkpoint, type WeightTensor } from './checkpoint.js';
export { DTYPE_SIZES, type WeightDType } from './dtype.js';
export { CheckpointError, type CheckpointErrorInfo } from './errors.js';
export {
  type LoadCheckpointOptions,
  type LoadProgress,
  loadCheckpoint,
  WEIGHT_FORMATS,
  type WeightFormat,
} from './load.js';
export { type ReadPytorchBinOptions, readPytorchBin } from './pytorch-zip.js';
export {
  type ByteRangeReader,
  type ReadCheckpointOptions,
  type ReadSafetensorsByRangeOptions,
  readSafetensors,
  readSafetensorsByRange,
  type SafetensorsInput,
  type SafetensorsLayout,
  type SafetensorsSpec,
  safetensorsLayout,
  writeSafetensors,
} from './safetensors.js';
export { type ExpectedWeight, type ValidateWeightsOptions, validateWeights } from './validate.js';
