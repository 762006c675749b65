import type { GenerationConfig, ImageGPTConfig } from '@imagegpt/config';
import type {
  BackendSessionOptions,
  Checkpoint,
  DecoderKind,
  FileLimits,
  ImageGPTBackend,
  ModelDType,
  PrefillKind,
  WeightFormat,
} from '@imagegpt/core';
import type { ImageGPTImageProcessor } from '@imagegpt/processor';

/** How {@link ImageGPTModel.fromSource} and the other heads load a model folder. */
export interface LoadOptions {
  /** The runtime that runs the model (NodeBackend in Node, the web backend in a browser). */
  backend: ImageGPTBackend;
  /** Which weight file to read when a folder has both; `loadCheckpoint`'s default when absent. */
  prefer?: WeightFormat;
  /** Passed to the backend when it creates the session. */
  sessionOptions?: BackendSessionOptions;
  /** Weight precision in the graph: `fp32` (default, reference-exact), `fp16`, `q8` or `q4` (MatMulNBits). */
  dtype?: ModelDType;
  /** Incremental decoding: `fast` (default; cache held in JS, fused ops) or `reference` (standard ops only). */
  decoder?: DecoderKind;
  /**
   * Whole-sequence passes (features, classify, nll): `reference` (default; standard ops, HF's exact
   * order of operations) or `fused` (one GroupQueryAttention per layer, faster; used for unmasked
   * calls only, within the golden tolerances).
   */
  prefill?: PrefillKind;
  /** Called while weight files are read. */
  onProgress?: (e: { file: string; loaded: number; total?: number }) => void;
  /**
   * Called once config.json (and preprocessor_config.json) are read and before any weight file is:
   * the place to refuse a model by its size without downloading it. A rejection stops the load.
   */
  beforeWeights?: (config: ImageGPTConfig) => void | Promise<void>;
  /**
   * Limits of the file-reading policy (JSON file size, safetensors header, `data.pkl`), over
   * `DEFAULT_FILE_LIMITS`: raise one for an unusual but trusted model folder.
   */
  limits?: Partial<FileLimits>;
  /**
   * The number of labels, replacing the config's (HF's `num_labels` keyword of `from_pretrained`):
   * `LABEL_0`, `LABEL_1`, ... Mostly for a classifier made from a causal checkpoint.
   */
  numLabels?: number;
  /** Label names by class index, replacing the config's (HF's `id2label` keyword); `label2id` follows. */
  id2label?: Readonly<Record<number, string>> | readonly string[];
  /** See {@link ModelParts.seed}. */
  seed?: number | bigint;
  /** See {@link ModelParts.onWarning}. */
  onWarning?: (message: string) => void;
}

/** Everything a head needs, already in memory: what `fromParts` takes. */
export interface ModelParts {
  config: ImageGPTConfig;
  checkpoint: Checkpoint;
  /** The image processor; without one the head takes token ids only and returns no images. */
  processor?: ImageGPTImageProcessor;
  backend: ImageGPTBackend;
  sessionOptions?: BackendSessionOptions;
  /** See {@link LoadOptions.dtype}. */
  dtype?: ModelDType;
  /** See {@link LoadOptions.decoder}. */
  decoder?: DecoderKind;
  /** See {@link LoadOptions.prefill}. */
  prefill?: PrefillKind;
  /** The causal head's generation settings; without them they are made from the config, as HF does. */
  generationConfig?: GenerationConfig;
  /**
   * Seed of the weights a checkpoint lacks and a head initialises, as HF does: a classifier made
   * from a causal checkpoint gets a new `score` drawn from normal(0, initializer_range). Default:
   * a random seed.
   */
  seed?: number | bigint;
  /** Where warnings go (new weights that must be trained before use); default `console.warn`. */
  onWarning?: (message: string) => void;
}
