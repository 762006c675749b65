import type { FileSink, FileSinkWriteOptions, ImageGPTConfig, ModelHead } from '@imagegpt/config';
import type { ImageGPTBackend, ModelDType } from '@imagegpt/core';
import { bytesPerWeight } from '@imagegpt/core/quantize';
import {
  ImageGPTForCausalImageModeling as CausalBase,
  ImageGPTForImageClassification as ClassifierBase,
  type LoadOptions,
  ImageGPTModel as ModelBase,
} from '@imagegpt/heads';
import { DirectoryHandleSink } from './directory-sink.js';
import { FetchFileSource } from './fetch-file-source.js';
import { isHubName, resolveHubFolder } from './hub-folder.js';
import { createWebBackend, type WasmPaths, WebBackend, type WebDevice } from './web-backend.js';

/**
 * Options for `fromPretrained` in the browser: the heads' {@link LoadOptions} (prefer,
 * sessionOptions, dtype, decoder, prefill, onProgress), with the backend optional, plus where the
 * backend runs and how files are fetched.
 */
export interface WebPretrainedOptions extends Omit<LoadOptions, 'backend'> {
  /** A backend to share between models instead of a fresh one. */
  backend?: ImageGPTBackend;
  /** `'wasm'` (default), `'webgpu'` or `'auto'`; ignored when `backend` is given. */
  device?: WebDevice;
  /** WebAssembly threads (cross-origin-isolated pages only); ignored when `backend` is given. */
  threads?: number;
  /** Where onnxruntime-web's `.wasm`/`.mjs` files are served; ignored when `backend` is given. */
  wasmPaths?: WasmPaths;
  /** Cache API use for downloads (see `FetchFileSourceOptions.cache`); default on. */
  cache?: boolean | string;
  /** Extra request headers, e.g. `Authorization` for a private repository. */
  headers?: Record<string, string>;
  /** The `fetch` to download with. */
  fetch?: typeof fetch;
  /** For a hub id: branch, tag or commit (default `main`; pin a commit for reproducible, cacheable loads). */
  revision?: string;
  /** For a hub id: a token for private or gated repos, sent to the endpoint as `Authorization: Bearer …`. */
  token?: string;
  /** For a hub id: the hub's base URL; default https://huggingface.co. */
  endpoint?: string;
}

/** Where `savePretrained` writes in the browser: a folder handle of the File System Access API, or any {@link FileSink}. */
export type WebSaveTarget = FileSystemDirectoryHandle | FileSink;

function sinkOf(target: WebSaveTarget): FileSink {
  return 'write' in target ? target : new DirectoryHandleSink(target);
}

/**
 * Refuses a model whose weights alone would exceed what one session can hold on the backend's
 * device, from its config.json: a 5.4 GB iGPT-large should not be downloaded only to fail.
 */
async function checkModelSize(
  backend: WebBackend,
  config: ImageGPTConfig,
  head: ModelHead,
  dtype: ModelDType,
  location: string,
): Promise<void> {
  const weights = config.parameterCount(head);
  // Every weight at the matrices' rate: embeddings, norms and biases stay float32, so the graph
  // will be a little larger than this (a lower bound, as the refusal should be).
  await backend.checkModelSize(
    weights * bytesPerWeight(dtype),
    `${location} (${weights.toLocaleString('en-US')} weights in ${dtype})`,
  );
}

async function wire(
  name: string | URL,
  options: WebPretrainedOptions,
  head: ModelHead,
): Promise<{ files: FetchFileSource; load: LoadOptions }> {
  const {
    backend,
    device,
    threads,
    wasmPaths,
    cache,
    headers,
    fetch,
    beforeWeights,
    revision,
    token,
    endpoint,
    ...rest
  } = options;
  // A hub id becomes its resolve URL at a fixed commit, so the Cache API keys never go stale.
  const url = isHubName(name)
    ? (
        await resolveHubFolder(name, {
          ...(revision === undefined ? {} : { revision }),
          ...(token === undefined ? {} : { token }),
          ...(endpoint === undefined ? {} : { endpoint }),
          ...(fetch === undefined ? {} : { fetch }),
          ...(cache === undefined ? {} : { cache }),
          ...(rest.limits === undefined ? {} : { limits: rest.limits }),
        })
      ).url
    : name;
  const allHeaders = {
    ...headers,
    ...(isHubName(name) && token !== undefined ? { Authorization: `Bearer ${token}` } : {}),
  };
  const files = new FetchFileSource(url, {
    ...(cache === undefined ? {} : { cache }),
    ...(Object.keys(allHeaders).length === 0 ? {} : { headers: allHeaders }),
    ...(fetch === undefined ? {} : { fetch }),
  });
  const runtime =
    backend ??
    createWebBackend({
      ...(device === undefined ? {} : { device }),
      ...(threads === undefined ? {} : { threads }),
      ...(wasmPaths === undefined ? {} : { wasmPaths }),
    });
  // Compiling onnxruntime-web's WebAssembly overlaps the download of the model's files.
  if (runtime instanceof WebBackend) void runtime.prepare();
  return {
    files,
    load: {
      ...rest,
      backend: runtime,
      async beforeWeights(config) {
        await beforeWeights?.(config);
        if (runtime instanceof WebBackend)
          await checkModelSize(runtime, config, head, rest.dtype ?? 'fp32', files.location);
      },
    },
  };
}

/**
 * The ImageGPT backbone, wired to onnxruntime-web and `fetch`.
 *
 * @example
 * ```ts
 * const model = await ImageGPTModel.fromPretrained('openai/imagegpt-small', { revision: '<a commit id>' });
 * const [features] = await model.features([await toRawImage(img)], { layer: 12 });
 * ```
 */
export class ImageGPTModel extends ModelBase {
  /**
   * Loads a hub model by id (`openai/imagegpt-small`), or a Hugging Face model folder served at a
   * URL (config.json, weights, optional preprocessor_config.json).
   */
  static async fromPretrained(url: string | URL, options: WebPretrainedOptions = {}): Promise<ImageGPTModel> {
    const { files, load } = await wire(url, options, 'base');
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }

  /**
   * Saves the model as a Hugging Face folder (config.json, model.safetensors, ...; see the heads'
   * `savePretrained`) into a folder handle (`showDirectoryPicker()`, or the origin-private file
   * system) or any {@link FileSink}; an existing file is refused unless `force`.
   *
   * @example
   * await model.savePretrained(await navigator.storage.getDirectory());
   */
  override savePretrained(target: WebSaveTarget, options: FileSinkWriteOptions = {}): Promise<string[]> {
    return super.savePretrained(sinkOf(target), options);
  }
}

/**
 * ImageGPT with its causal image-modeling head, wired to onnxruntime-web and `fetch`.
 *
 * @example
 * ```ts
 * const model = await ImageGPTForCausalImageModeling.fromPretrained('/models/igpt-mnist-16/');
 * const { images } = await model.generate({ doSample: true, seed: 1, numReturnSequences: 4 });
 * ```
 */
export class ImageGPTForCausalImageModeling extends CausalBase {
  /**
   * Loads a hub model by id (`openai/imagegpt-small`), or a Hugging Face model folder served at a
   * URL (config.json, weights, preprocessor_config.json).
   */
  static async fromPretrained(
    url: string | URL,
    options: WebPretrainedOptions = {},
  ): Promise<ImageGPTForCausalImageModeling> {
    const { files, load } = await wire(url, options, 'causal');
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }

  /**
   * Saves the model as a Hugging Face folder (config.json, model.safetensors, ...; see the heads'
   * `savePretrained`) into a folder handle (`showDirectoryPicker()`, or the origin-private file
   * system) or any {@link FileSink}; an existing file is refused unless `force`.
   *
   * @example
   * await model.savePretrained(await navigator.storage.getDirectory());
   */
  override savePretrained(target: WebSaveTarget, options: FileSinkWriteOptions = {}): Promise<string[]> {
    return super.savePretrained(sinkOf(target), options);
  }
}

/**
 * ImageGPT with its classification head, wired to onnxruntime-web and `fetch`.
 *
 * @example
 * ```ts
 * const model = await ImageGPTForImageClassification.fromPretrained('/models/igpt-mnist-16-classifier/');
 * const [top] = await model.classify([await toRawImage(canvas)]);
 * ```
 */
export class ImageGPTForImageClassification extends ClassifierBase {
  /**
   * Loads a hub model by id (`openai/imagegpt-small`), or a Hugging Face model folder served at a
   * URL (config.json, weights, preprocessor_config.json).
   */
  static async fromPretrained(
    url: string | URL,
    options: WebPretrainedOptions = {},
  ): Promise<ImageGPTForImageClassification> {
    const { files, load } = await wire(url, options, 'classifier');
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }

  /**
   * Saves the model as a Hugging Face folder (config.json, model.safetensors, ...; see the heads'
   * `savePretrained`) into a folder handle (`showDirectoryPicker()`, or the origin-private file
   * system) or any {@link FileSink}; an existing file is refused unless `force`.
   *
   * @example
   * await model.savePretrained(await navigator.storage.getDirectory());
   */
  override savePretrained(target: WebSaveTarget, options: FileSinkWriteOptions = {}): Promise<string[]> {
    return super.savePretrained(sinkOf(target), options);
  }
}
