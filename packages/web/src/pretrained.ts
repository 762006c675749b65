import { ImageGPTConfig, type ModelHead } from '@imagegpt/config';
import type { BackendSessionOptions, ImageGPTBackend, ModelDType, PrefillKind } from '@imagegpt/core';
import {
  ImageGPTForCausalImageModeling as CausalBase,
  ImageGPTForImageClassification as ClassifierBase,
  type LoadOptions,
  ImageGPTModel as ModelBase,
} from '@imagegpt/heads';
import { FetchFileSource } from './fetch-file-source.js';
import { createWebBackend, type WasmPaths, WebBackend, type WebDevice } from './web-backend.js';

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

/**
 * Bytes per weight a session holds at least, by dtype: q8 and q4 add a float32 scale per block of
 * 32 (embeddings stay float32, so real sizes are a little larger: this is a lower bound).
 */
const MIN_BYTES_PER_WEIGHT: Record<ModelDType, number> = { fp32: 4, fp16: 2, q8: 1.125, q4: 0.625 };

/**
 * Refuses, before any weight is downloaded, a model whose weights alone would exceed what one
 * session can hold on the backend's device (a 5.4 GB iGPT-large should not be fetched to fail).
 */
async function checkSizeBeforeDownload(
  files: FetchFileSource,
  load: LoadOptions,
  head: ModelHead,
): Promise<void> {
  if (!(load.backend instanceof WebBackend)) return;
  const config = ImageGPTConfig.parse(
    new TextDecoder().decode(await files.read('config.json')),
    files.url('config.json'),
  );
  const dtype = load.dtype ?? 'fp32';
  const bytes = config.parameterCount(head) * MIN_BYTES_PER_WEIGHT[dtype];
  await load.backend.checkModelSize(
    bytes,
    `${files.location} (${config.parameterCount(head).toLocaleString('en-US')} weights in ${dtype})`,
  );
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
    await checkSizeBeforeDownload(files, load, 'base');
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
    await checkSizeBeforeDownload(files, load, 'causal');
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
    await checkSizeBeforeDownload(files, load, 'classifier');
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class called on, so each gets its own instances.
    return this.fromSource(files, load);
  }
}
