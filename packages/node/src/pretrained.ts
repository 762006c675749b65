import type { BackendSessionOptions, ImageGPTBackend, ModelDType, PrefillKind } from '@imagegpt/core';
import {
  ImageGPTForCausalImageModeling as CausalBase,
  ImageGPTForImageClassification as ClassifierBase,
  ImageGPTModel as ModelBase,
} from '@imagegpt/heads';
import { createNodeBackend } from './node-backend.js';
import { NodeFileSource } from './node-file-source.js';

/** Options for `fromPretrained` in Node. */
export interface NodePretrainedOptions {
  /** Which weight file to prefer when a folder has both; default `safetensors`. */
  prefer?: 'safetensors' | 'bin';
  /** Intra-op threads; default all cores. */
  threads?: number;
  /** A backend to use instead of a fresh onnxruntime-node one. */
  backend?: ImageGPTBackend;
  /** Extra session options for the runtime. */
  sessionOptions?: BackendSessionOptions;
  /** Weight precision: `fp32` (default), `fp16`, `q8` or `q4`. */
  dtype?: ModelDType;
  /** Incremental decoding: `fast` (default) or `reference`. */
  decoder?: 'fast' | 'reference';
  /** Whole-sequence passes: `reference` (default) or `fused` (faster). */
  prefill?: PrefillKind;
  /** Called while weight files are read. */
  onProgress?: (e: { file: string; loaded: number; total?: number }) => void;
}

function wire(dir: string | URL, options: NodePretrainedOptions) {
  const backend = options.backend ?? createNodeBackend({ threads: options.threads });
  return {
    files: new NodeFileSource(dir),
    load: {
      backend,
      prefer: options.prefer,
      sessionOptions: { threads: options.threads, ...options.sessionOptions },
      onProgress: options.onProgress,
      dtype: options.dtype,
      decoder: options.decoder,
      prefill: options.prefill,
    },
  };
}

/**
 * The ImageGPT backbone, wired to onnxruntime-node and the file system.
 *
 * @example
 * ```ts
 * const model = await ImageGPTModel.fromPretrained('./igpt-small');
 * const [features] = await model.features([image], { layer: 12 });
 * ```
 */
export class ImageGPTModel extends ModelBase {
  /** Loads a Hugging Face folder (config.json, weights, optional preprocessor_config.json). */
  static async fromPretrained(
    dir: string | URL,
    options: NodePretrainedOptions = {},
  ): Promise<ImageGPTModel> {
    const { files, load } = wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }
}

/**
 * ImageGPT with its causal image-modeling head, wired to onnxruntime-node and the file system.
 *
 * @example
 * ```ts
 * const model = await ImageGPTForCausalImageModeling.fromPretrained('./igpt-mnist-16');
 * const { images } = await model.generate({ doSample: true, seed: 1, numReturnSequences: 4 });
 * ```
 */
export class ImageGPTForCausalImageModeling extends CausalBase {
  /** Loads a Hugging Face folder (config.json, weights, preprocessor_config.json). */
  static async fromPretrained(
    dir: string | URL,
    options: NodePretrainedOptions = {},
  ): Promise<ImageGPTForCausalImageModeling> {
    const { files, load } = wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }
}

/**
 * ImageGPT with its classification head, wired to onnxruntime-node and the file system.
 *
 * @example
 * ```ts
 * const model = await ImageGPTForImageClassification.fromPretrained('./igpt-mnist-16-classifier');
 * const [top] = await model.classify([await readImage('digit.png')]);
 * ```
 */
export class ImageGPTForImageClassification extends ClassifierBase {
  /** Loads a Hugging Face folder (config.json, weights, preprocessor_config.json). */
  static async fromPretrained(
    dir: string | URL,
    options: NodePretrainedOptions = {},
  ): Promise<ImageGPTForImageClassification> {
    const { files, load } = wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }
}
