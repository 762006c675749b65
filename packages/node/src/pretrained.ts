import { stat } from 'node:fs/promises';
import type { FileSink, FileSinkWriteOptions } from '@imagegpt/config';
import type { ImageGPTBackend } from '@imagegpt/core';
import { HubError, isRepoId } from '@imagegpt/core/hub';
import {
  ImageGPTForCausalImageModeling as CausalBase,
  ImageGPTForImageClassification as ClassifierBase,
  type LoadOptions,
  ImageGPTModel as ModelBase,
} from '@imagegpt/heads';
import { downloadModel, type HubDownloadOptions } from './hub/download-model.js';
import { createNodeBackend } from './node-backend.js';
import { NodeError } from './node-error.js';
import { NodeFileSink } from './node-file-sink.js';
import { NodeFileSource } from './node-file-source.js';

/** Where `savePretrained` writes in Node: a folder path, a `file:` URL or any {@link FileSink}. */
export type SaveTarget = string | URL | FileSink;

/** A folder path or URL as a {@link NodeFileSink}; a sink as it is. */
function sinkOf(target: SaveTarget): FileSink {
  return typeof target === 'string' || target instanceof URL ? new NodeFileSink(target) : target;
}

/**
 * Options for `fromPretrained` in Node: the heads' {@link LoadOptions} (prefer, sessionOptions, dtype,
 * decoder, prefill), with the backend optional, and for a hub id the download options (revision,
 * token, cacheDir, localFilesOnly, endpoint; see {@link HubDownloadOptions}).
 */
export interface NodePretrainedOptions
  extends Omit<LoadOptions, 'backend' | 'onProgress'>,
    Omit<HubDownloadOptions, 'onProgress' | 'prefer' | 'onWarning' | 'limits'> {
  /**
   * Called with each warning: a classifier head newly initialised from a causal checkpoint (default
   * `console.warn`) and the hub download's own (default `process.emitWarning`).
   */
  onWarning?: (message: string) => void;
  /** A backend to use instead of a fresh onnxruntime-node one. */
  backend?: ImageGPTBackend;
  /** Intra-op threads; default all cores. */
  threads?: number;
  /**
   * Called as files arrive: `stage: 'download'` while a hub model downloads into the cache, no
   * stage while weight files are read.
   */
  onProgress?: (e: { file: string; loaded: number; total?: number; stage?: 'download' }) => void;
}

/**
 * The folder to load: `dir` itself when it exists (a local folder wins over a hub id of the same
 * name, as in transformers), else, when it is a hub repo id (`org/name` or `name`), its snapshot
 * in the hub cache, downloaded first when needed.
 */
async function modelFolder(dir: string | URL, options: NodePretrainedOptions): Promise<string | URL> {
  if (typeof dir !== 'string' || !isRepoId(dir) || dir.startsWith('.')) return dir;
  if (
    await stat(dir).then(
      () => true,
      () => false,
    )
  )
    return dir;
  const {
    revision,
    token,
    cacheDir,
    localFilesOnly,
    endpoint,
    env,
    onWarning,
    retryDelayMs,
    lockStaleMs,
    onProgress,
    prefer,
    limits,
  } = options;
  try {
    const snapshot = await downloadModel(dir, {
      ...(revision === undefined ? {} : { revision }),
      ...(token === undefined ? {} : { token }),
      ...(cacheDir === undefined ? {} : { cacheDir }),
      ...(localFilesOnly === undefined ? {} : { localFilesOnly }),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(env === undefined ? {} : { env }),
      ...(onWarning === undefined ? {} : { onWarning }),
      ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
      ...(lockStaleMs === undefined ? {} : { lockStaleMs }),
      ...(onProgress === undefined ? {} : { onProgress }),
      ...(prefer === undefined ? {} : { prefer }),
      ...(limits === undefined ? {} : { limits }),
    });
    return snapshot.folder;
  } catch (e) {
    if (
      e instanceof HubError &&
      (e.reason === 'not-found' || e.reason === 'offline' || e.reason === 'unauthorized')
    ) {
      // The name may have been meant as a folder: say that there is none either.
      throw new HubError(
        `${e.message.replace(/[.;]\s*$/, '')} (and there is no local folder named ${dir})`,
        e,
        { cause: e },
      );
    }
    throw e;
  }
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
  const {
    backend,
    threads,
    revision: _revision,
    token: _token,
    cacheDir: _cacheDir,
    localFilesOnly: _localFilesOnly,
    endpoint: _endpoint,
    env: _env,
    onWarning: _onWarning,
    retryDelayMs: _retryDelayMs,
    lockStaleMs: _lockStaleMs,
    ...load
  } = options;
  const files = new NodeFileSource(await modelFolder(dir, options));
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
  /**
   * Loads a Hugging Face model folder (config.json, weights, optional preprocessor_config.json),
   * or a hub repo id (`openai/imagegpt-small`) through the hub cache.
   */
  static async fromPretrained(
    dir: string | URL,
    options: NodePretrainedOptions = {},
  ): Promise<ImageGPTModel> {
    const { files, load } = await wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }

  /**
   * Saves the model as a Hugging Face folder (config.json, model.safetensors, ...; see the heads'
   * `savePretrained`): `target` is a folder, created when missing, each file written atomically
   * and an existing one refused unless `force`.
   *
   * @example
   * await model.savePretrained('./my-model');
   */
  override savePretrained(target: SaveTarget, options: FileSinkWriteOptions = {}): Promise<string[]> {
    return super.savePretrained(sinkOf(target), options);
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
  /**
   * Loads a Hugging Face model folder (config.json, weights, preprocessor_config.json), or a hub
   * repo id (`openai/imagegpt-small`) through the hub cache.
   */
  static async fromPretrained(
    dir: string | URL,
    options: NodePretrainedOptions = {},
  ): Promise<ImageGPTForCausalImageModeling> {
    const { files, load } = await wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }

  /**
   * Saves the model as a Hugging Face folder (config.json, model.safetensors, ...; see the heads'
   * `savePretrained`): `target` is a folder, created when missing, each file written atomically
   * and an existing one refused unless `force`.
   *
   * @example
   * await model.savePretrained('./my-model');
   */
  override savePretrained(target: SaveTarget, options: FileSinkWriteOptions = {}): Promise<string[]> {
    return super.savePretrained(sinkOf(target), options);
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
  /**
   * Loads a Hugging Face model folder (config.json, weights, preprocessor_config.json), or a hub
   * repo id (`openai/imagegpt-small`) through the hub cache.
   */
  static async fromPretrained(
    dir: string | URL,
    options: NodePretrainedOptions = {},
  ): Promise<ImageGPTForImageClassification> {
    const { files, load } = await wire(dir, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }

  /**
   * Saves the model as a Hugging Face folder (config.json, model.safetensors, ...; see the heads'
   * `savePretrained`): `target` is a folder, created when missing, each file written atomically
   * and an existing one refused unless `force`.
   *
   * @example
   * await model.savePretrained('./my-model');
   */
  override savePretrained(target: SaveTarget, options: FileSinkWriteOptions = {}): Promise<string[]> {
    return super.savePretrained(sinkOf(target), options);
  }
}
