import { stat } from 'node:fs/promises';
import type { ImageGPTBackend } from '@imagegpt/core';
import {
  ImageGPTForCausalImageModeling as CausalBase,
  ImageGPTForImageClassification as ClassifierBase,
  type LoadOptions,
  ImageGPTModel as ModelBase,
} from '@imagegpt/heads';
import { createNodeBackend } from './node-backend.js';
import { NodeError } from './node-error.js';
import { NodeFileSource } from './node-file-source.js';

/**
 * Options for `fromPretrained` in Node: the heads' {@link LoadOptions} (prefer, sessionOptions, dtype,
 * decoder, prefill, onProgress), with the backend optional.
 */
export interface NodePretrainedOptions extends Omit<LoadOptions, 'backend'> {
  /** A backend to use instead of a fresh onnxruntime-node one. */
  backend?: ImageGPTBackend;
  /** Intra-op threads; default all cores. */
  threads?: number;
}

/**
 * Refuses a model folder that does not exist or is not a folder, naming it: otherwise the loader
 * would only say that config.json is missing, which sends the reader to the wrong fault.
 */
async function checkModelFolder(files: NodeFileSource): Promise<void> {
  const path = files.location;
  const expected = 'expected a Hugging Face model folder (config.json and the weights)';
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such folder' : `cannot be read (${code ?? String(e)})`;
    throw new NodeError(`${path}: ${why}; ${expected}`, { path }, { cause: e });
  }
  if (!isFolder) throw new NodeError(`${path}: not a folder; ${expected}`, { path });
}

async function wire(dir: string | URL, options: NodePretrainedOptions) {
  const { backend, threads, ...load } = options;
  const files = new NodeFileSource(dir);
  await checkModelFolder(files);
  return {
    files,
    load: {
      ...load,
      backend: backend ?? createNodeBackend({ threads }),
      sessionOptions: { threads, ...options.sessionOptions },
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
    const { files, load } = await wire(dir, options);
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
    const { files, load } = await wire(dir, options);
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
    const { files, load } = await wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }
}
