import { ImageGPTConfig } from '@imagegpt/config';
import type {
  Classification,
  ClassifyOptions,
  CompleteOptions,
  Completion,
  FeatureOptions,
  GenerateOutput,
  ImageGenerateOptions,
  ImageInput,
  LayerFeatureOptions,
  NllOptions,
  NllResult,
} from '@imagegpt/heads';
import { ImageGPTImageProcessor } from '@imagegpt/processor';
import type { WebPretrainedOptions } from '../pretrained.js';
import { WebError } from '../web-error.js';
import {
  type LoadedModel,
  type WireArgument,
  type WireError,
  type WireOptions,
  WORKER_CALLBACKS,
  type WorkerCallback,
  type WorkerHeadClass,
  type WorkerRequest,
  type WorkerResponse,
} from './worker-protocol.js';

/** The part of a `Worker` the page side uses (a real `Worker`, or a stand-in in tests). */
export interface WorkerLike {
  postMessage(message: WorkerRequest): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerResponse>) => void): void;
  addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
  terminate(): void;
}

/** Options of {@link ImageGPTWorker}. */
export interface ImageGPTWorkerOptions {
  /**
   * The worker to use: one running `hostImageGPT(self)` (your own script, for instance). By default
   * the package starts its own module worker (`worker-entry.js` beside this file), which bundlers
   * such as Vite and webpack pick up from `new Worker(new URL(…, import.meta.url))`; Vite needs
   * `worker: { format: 'es' }` in its config, since the worker loads onnxruntime-web as a chunk.
   */
  worker?: WorkerLike;
}

/**
 * `fromPretrained` options for a model in a worker: the page's {@link WebPretrainedOptions} less
 * what cannot cross to another thread (a backend object, a `fetch` function, the `beforeWeights`
 * hook). `onProgress` is reported from the worker.
 */
export type WorkerPretrainedOptions = Omit<WebPretrainedOptions, 'backend' | 'fetch' | 'beforeWeights'>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  callbacks: Partial<Record<WorkerCallback, (event: never) => unknown>>;
  signal?: AbortSignal;
}

/** Runs one request on the worker; what each model proxy calls. */
type Call = (method: string, args: readonly unknown[]) => Promise<unknown>;

function rebuildError(error: WireError): Error {
  const out = new Error(error.message);
  out.name = error.name;
  return out;
}

/**
 * Models of `@imagegpt/web` run in a Web Worker, with the same classes and options on the page
 * side: the page stays free to paint and answer input while a model loads and generates. Rows and
 * tokens (`onRow`, `onToken`) and download progress arrive as messages while a call runs (the
 * worker does not wait for a callback's promise), and an `AbortSignal` is forwarded as a message.
 * onnxruntime-web's own proxy worker cannot return GPU tensors, so this runs the whole model, WebGPU
 * included, on the worker's side.
 *
 * @example
 * ```ts
 * const worker = new ImageGPTWorker();
 * const model = await worker.ImageGPTForCausalImageModeling.fromPretrained('/models/igpt-mnist-16/');
 * const { images } = await model.generate({ doSample: true, seed: 1, onRow: ({ images }) => draw(images) });
 * await model.dispose();
 * worker.terminate();
 * ```
 */
export class ImageGPTWorker {
  readonly #worker: WorkerLike;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | undefined;

  /** Loads a backbone in the worker; see the web package's `ImageGPTModel.fromPretrained`. */
  readonly ImageGPTModel = {
    fromPretrained: (url: string | URL, options: WorkerPretrainedOptions = {}) =>
      this.#load('ImageGPTModel', url, options).then(
        (call) => new WorkerImageGPTModel(call.model, call.call),
      ),
  };

  /** Loads a causal model in the worker; see the web package's `ImageGPTForCausalImageModeling.fromPretrained`. */
  readonly ImageGPTForCausalImageModeling = {
    fromPretrained: (url: string | URL, options: WorkerPretrainedOptions = {}) =>
      this.#load('ImageGPTForCausalImageModeling', url, options).then(
        (call) => new WorkerImageGPTForCausalImageModeling(call.model, call.call),
      ),
  };

  /** Loads a classifier in the worker; see the web package's `ImageGPTForImageClassification.fromPretrained`. */
  readonly ImageGPTForImageClassification = {
    fromPretrained: (url: string | URL, options: WorkerPretrainedOptions = {}) =>
      this.#load('ImageGPTForImageClassification', url, options).then(
        (call) => new WorkerImageGPTForImageClassification(call.model, call.call),
      ),
  };

  constructor(options: ImageGPTWorkerOptions = {}) {
    this.#worker =
      options.worker ??
      (new Worker(new URL('./worker-entry.js', import.meta.url), {
        type: 'module',
        name: 'imagegpt',
      }) as unknown as WorkerLike);
    this.#worker.addEventListener('message', (event) => this.#receive(event.data));
    this.#worker.addEventListener('error', (event) => {
      // A script that fails to load or throws at the top level ends every call in flight.
      this.#fail(new WebError(`ImageGPTWorker: the worker failed: ${event.message || 'it could not start'}`));
    });
  }

  /** Stops the worker; its models are gone and calls in flight reject. */
  terminate(): void {
    this.#worker.terminate();
    this.#fail(new WebError('ImageGPTWorker: terminated'));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  async #load(
    head: WorkerHeadClass,
    url: string | URL,
    options: WorkerPretrainedOptions,
  ): Promise<{ model: ModelInit; call: Call }> {
    // Relative URLs mean the page's location, not the worker script's.
    const absolute = new URL(url, globalThis.location?.href).href;
    const loaded = (await this.#request(
      (id, args) => ({ kind: 'load', id, head, url: absolute, options: args[0] as WireOptions }),
      [options],
    )) as LoadedModel;
    const model: ModelInit = {
      config: ImageGPTConfig.parse(loaded.config, `${absolute} (config.json, from the worker)`),
      ...(loaded.processor === undefined
        ? {}
        : { processor: ImageGPTImageProcessor.parse(loaded.processor, `${absolute} (from the worker)`) }),
      dispose: () => this.#request((id) => ({ kind: 'dispose', id, model: loaded.model }), []).then(() => {}),
    };
    const call: Call = (method, args) =>
      this.#request(
        (id, wire) => ({ kind: 'call', id, model: loaded.model, method, args: wire.map(toArgument) }),
        args,
      );
    return { model, call };
  }

  /** Sends one request (its plain-object arguments turned into wire options) and awaits its answer. */
  #request(
    make: (id: number, args: readonly unknown[]) => WorkerRequest,
    args: readonly unknown[],
  ): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    const callbacks: Pending['callbacks'] = {};
    let signal: AbortSignal | undefined;
    let wire: unknown[];
    try {
      wire = args.map((arg) => {
        if (!isOptions(arg)) return arg;
        const { options, found, signal: s } = toWireOptions(arg);
        Object.assign(callbacks, found);
        signal ??= s;
        return options;
      });
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#worker.postMessage({ kind: 'abort', id });
      const settle = () => signal?.removeEventListener('abort', onAbort);
      this.#pending.set(id, {
        resolve: (value) => {
          settle();
          resolve(value);
        },
        reject: (error) => {
          settle();
          // An aborted call rejects with the signal's reason, as fetch does.
          reject(signal?.aborted ? signal.reason : error);
        },
        callbacks,
        ...(signal === undefined ? {} : { signal }),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#worker.postMessage(make(id, wire));
    });
  }

  #receive(message: WorkerResponse): void {
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    switch (message.kind) {
      case 'event': {
        const callback = pending.callbacks[message.callback] as ((event: unknown) => unknown) | undefined;
        callback?.(message.event);
        return;
      }
      case 'result':
        this.#pending.delete(message.id);
        pending.resolve(message.value);
        return;
      case 'error':
        this.#pending.delete(message.id);
        pending.reject(rebuildError(message.error));
        return;
    }
  }
}

/** Whether `value` is an options object (not an array, typed array or image). */
function isOptions(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/** Splits an options object into its data, its callbacks and its signal; other functions cannot cross. */
function toWireOptions(options: Record<string, unknown>): {
  options: WireOptions;
  found: Pending['callbacks'];
  signal: AbortSignal | undefined;
} {
  const data: Record<string, unknown> = {};
  const found: Pending['callbacks'] = {};
  let signal: AbortSignal | undefined;
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'signal') signal = value as AbortSignal;
    else if ((WORKER_CALLBACKS as readonly string[]).includes(key) && typeof value === 'function')
      found[key as WorkerCallback] = value as (event: never) => unknown;
    else if (typeof value === 'function') {
      throw new WebError(`ImageGPTWorker: option ${key} is a function, which cannot be sent to the worker`);
    } else data[key] = value;
  }
  return {
    options: { data, callbacks: Object.keys(found) as WorkerCallback[], signal: signal !== undefined },
    found,
    signal,
  };
}

function toArgument(arg: unknown): WireArgument {
  return isWireOptions(arg) ? { options: arg } : { value: arg };
}

function isWireOptions(value: unknown): value is WireOptions {
  return (
    typeof value === 'object' &&
    value !== null &&
    'callbacks' in value &&
    'data' in value &&
    'signal' in value
  );
}

/** What every model proxy holds: the model's config and processor (copies), and how to dispose it. */
interface ModelInit {
  readonly config: ImageGPTConfig;
  readonly processor?: ImageGPTImageProcessor;
  dispose(): Promise<void>;
}

/** A backbone running in an {@link ImageGPTWorker}: the web `ImageGPTModel`'s methods, answered by the worker. */
export class WorkerImageGPTModel {
  readonly config: ImageGPTConfig;
  /** The model's image processor (a copy on the page side), when its folder has one. */
  readonly processor?: ImageGPTImageProcessor;
  protected readonly call: Call;
  readonly #dispose: () => Promise<void>;

  /** Made by {@link ImageGPTWorker}; not constructed directly. */
  constructor(init: ModelInit, call: Call) {
    this.config = init.config;
    if (init.processor !== undefined) this.processor = init.processor;
    this.call = call;
    this.#dispose = init.dispose;
  }

  /** Mean-pooled (or per-position) hidden-state features, computed in the worker. */
  features(inputs: readonly ImageInput[], options: FeatureOptions = {}): Promise<Float32Array[]> {
    return this.call('features', [inputs, options]) as Promise<Float32Array[]>;
  }

  /** Features of several hidden layers in one pass, computed in the worker. */
  featuresByLayer(
    inputs: readonly ImageInput[],
    options: LayerFeatureOptions = {},
  ): Promise<Float32Array[][]> {
    return this.call('featuresByLayer', [inputs, options]) as Promise<Float32Array[][]>;
  }

  /** Releases the model in the worker (the worker itself keeps running). */
  dispose(): Promise<void> {
    return this.#dispose();
  }
}

/**
 * A causal model running in an {@link ImageGPTWorker}: `generate`, `complete` and `nll` with the
 * options of `ImageGPTForCausalImageModeling`. `onRow` and `onToken` are called as the worker
 * reports them; returning a promise from them does not pause generation.
 */
export class WorkerImageGPTForCausalImageModeling extends WorkerImageGPTModel {
  /** Generates images in the worker; see `ImageGPTForCausalImageModeling.generate`. */
  generate(options: ImageGenerateOptions = {}): Promise<GenerateOutput> {
    return this.call('generate', [options]) as Promise<GenerateOutput>;
  }

  /** Completes images in the worker; see `ImageGPTForCausalImageModeling.complete`. */
  complete(inputs: readonly ImageInput[], options: CompleteOptions = {}): Promise<Completion[]> {
    return this.call('complete', [inputs, options]) as Promise<Completion[]>;
  }

  /** Negative log-likelihood in the worker; see `ImageGPTForCausalImageModeling.nll`. */
  nll(inputs: readonly ImageInput[], options: NllOptions = {}): Promise<NllResult> {
    return this.call('nll', [inputs, options]) as Promise<NllResult>;
  }
}

/** A classifier running in an {@link ImageGPTWorker}; see `ImageGPTForImageClassification.classify`. */
export class WorkerImageGPTForImageClassification extends WorkerImageGPTModel {
  /** Classifies images in the worker. */
  classify(inputs: readonly ImageInput[], options: ClassifyOptions = {}): Promise<Classification[]> {
    return this.call('classify', [inputs, options]) as Promise<Classification[]>;
  }
}
