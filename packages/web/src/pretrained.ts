import type { BackendSessionOptions, ImageGPTBackend, ModelDType, PrefillKind } from '@imagegpt/core';
import {
  ImageGPTForCausalImageModeling as CausalBase,
  ImageGPTForImageClassification as ClassifierBase,
  type LoadOptions,
  ImageGPTModel as ModelBase,
} from '@imagegpt/heads';
import { FetchFileSource } from './fetch-file-source.js';
import { createWebBackend, type WasmPaths, type WebDevice } from './web-backend.js';

/** Options for `fromPretrained` in the browser. */
export interface WebPretrainedOptions {
  /** `'wasm'` (default), `'webgpu'` or `'auto'`; ignored when `backend` is given. */
  device?: WebDevice;
  /** WebAssembly threads (cross-origin-isolated pages only); ignored when `backend` is given. */
  threads?: number;
  /** Where onnxruntime-web's `.wasm`/`.mjs` files are served; ignored when `backend` is given. */
  wasmPaths?: WasmPaths;
  /** A backend to share between models instead of a fresh one. */
  backend?: ImageGPTBackend;
  /** Which weight file to prefer when a folder has both; default `safetensors`. */
  prefer?: 'safetensors' | 'bin';
  /** Extra session options for the runtime. */
  sessionOptions?: BackendSessionOptions;
  /** Weight precision: `fp32` (default), `fp16`, `q8` or `q4`. */
  dtype?: ModelDType;
  /** Incremental decoding: `fast` (default) or `reference` (standard ops only). */
  decoder?: 'fast' | 'reference';
  /** Whole-sequence passes: `reference` (default) or `fused` (faster). */
  prefill?: PrefillKind;
  /** Called while weight files download. */
  onProgress?: (e: { file: string; loaded: number; total?: number }) => void;
  /** Cache API use for downloads (see `FetchFileSourceOptions.cache`); default on. */
  cache?: boolean | string;
  /** Extra request headers, e.g. `Authorization` for a private repository. */
  headers?: Record<string, string>;
  /** The `fetch` to download with. */
  fetch?: typeof fetch;
}

function wire(
  url: string | URL,
  options: WebPretrainedOptions,
): { files: FetchFileSource; load: LoadOptions } {
  const backend =
    options.backend ??
    createWebBackend({
      ...(options.device === undefined ? {} : { device: options.device }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
      ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
    });
  const files = new FetchFileSource(url, {
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const load: LoadOptions = { backend };
  if (options.prefer !== undefined) load.prefer = options.prefer;
  if (options.sessionOptions !== undefined) load.sessionOptions = options.sessionOptions;
  if (options.onProgress !== undefined) load.onProgress = options.onProgress;
  if (options.dtype !== undefined) load.dtype = options.dtype;
  if (options.decoder !== undefined) load.decoder = options.decoder;
  if (options.prefill !== undefined) load.prefill = options.prefill;
  return { files, load };
}

/**
 * The ImageGPT backbone, wired to onnxruntime-web and `fetch`.
 *
 * @example
 * ```ts
 * const model = await ImageGPTModel.fromPretrained('https://huggingface.co/openai/imagegpt-small/resolve/main/');
 * const [features] = await model.features([await toRawImage(img)], { layer: 12 });
 * ```
 */
export class ImageGPTModel extends ModelBase {
  /** Loads a Hugging Face model folder served at `url` (config.json, weights, optional preprocessor_config.json). */
  static async fromPretrained(url: string | URL, options: WebPretrainedOptions = {}): Promise<ImageGPTModel> {
    const { files, load } = wire(url, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
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
  /** Loads a Hugging Face model folder served at `url` (config.json, weights, preprocessor_config.json). */
  static async fromPretrained(
    url: string | URL,
    options: WebPretrainedOptions = {},
  ): Promise<ImageGPTForCausalImageModeling> {
    const { files, load } = wire(url, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
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
  /** Loads a Hugging Face model folder served at `url` (config.json, weights, preprocessor_config.json). */
  static async fromPretrained(
    url: string | URL,
    options: WebPretrainedOptions = {},
  ): Promise<ImageGPTForImageClassification> {
    const { files, load } = wire(url, options);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }
}
