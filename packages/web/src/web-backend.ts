import {
  type BackendSession,
  type BackendSessionOptions,
  type ImageGPTBackend,
  type ModelArtifact,
  OrtSession,
  type OrtTensorClass,
} from '@imagegpt/core';
import { GraphBuilder } from '@imagegpt/core/graph';
import { OnnxDataType } from '@imagegpt/core/onnx';
import type * as OrtWeb from 'onnxruntime-web';
import { WebError } from './web-error.js';

/** The onnxruntime-web module: its WebAssembly-only build or the one with WebGPU. */
type OrtRuntime = typeof OrtWeb;

/**
 * The onnxruntime-web build a device needs, imported on first use: `onnxruntime-web/wasm` (a 14 MB
 * `.wasm`, CPU only) for wasm, the default build (28 MB, with the WebGPU provider) for WebGPU. A
 * bundler splits each dynamic import into its own chunk, so a page downloads and compiles one.
 */
function importRuntime(device: 'wasm' | 'webgpu'): Promise<OrtRuntime> {
  return device === 'webgpu' ? import('onnxruntime-web') : import('onnxruntime-web/wasm');
}

/** Where the model runs: WebAssembly on the CPU, WebGPU, or WebGPU when the browser has an adapter. */
export type WebDevice = 'wasm' | 'webgpu' | 'auto';

/** Where `.wasm` / `.mjs` files of onnxruntime-web are served from: a URL prefix or one URL per file. */
export type WasmPaths = string | { wasm?: URL | string; mjs?: URL | string };

/** Options of {@link createWebBackend}. */
export interface WebBackendOptions {
  /** `'wasm'` (default), `'webgpu'`, or `'auto'` (WebGPU when `navigator.gpu` gives an adapter, else wasm). */
  device?: WebDevice;
  /**
   * WebAssembly threads. Threads need `SharedArrayBuffer`, which browsers only give a
   * cross-origin-isolated page (COOP `same-origin` + COEP `require-corp`); without isolation this is
   * forced to 1. When absent on an isolated page, onnxruntime-web picks (half the cores, at most 4).
   * More than one thread also needs `wasmPaths`: onnxruntime-web starts its thread workers from its
   * own `.mjs` file by URL, which a bundler that inlined it cannot provide.
   */
  threads?: number;
  /** Where onnxruntime-web's `.wasm`/`.mjs` files are served; the bundler's asset URL when absent. */
  wasmPaths?: WasmPaths;
  /**
   * Largest model (graph + weights, bytes) the wasm device accepts; default {@link WASM_MAX_MODEL_BYTES}.
   * Lower it to fail early on phones.
   */
  maxWasmModelBytes?: number;
}

/**
 * The largest model the wasm device loads: 2 GiB. WebAssembly has a 32-bit heap (4 GiB at most),
 * and while a session is created onnxruntime-web holds the serialized model and the loaded
 * initializers at the same time, so weights over half the heap cannot load. iGPT-small (≈0.3 GB
 * fp32) and iGPT-medium (≈1.8 GB) fit; iGPT-large (≈5.4 GB fp32) needs WebGPU.
 */
export const WASM_MAX_MODEL_BYTES = 2 * 1024 ** 3;

/**
 * The largest model the WebGPU device loads: 4 GiB. onnxruntime-web runs every execution provider
 * inside its WebAssembly module, whose 32-bit memory stages the weights before they reach the GPU,
 * so its documentation ("Working with Large Models") puts models over 4 GB out of reach.
 */
export const WEBGPU_MAX_MODEL_BYTES = 4 * 1024 ** 3;

/** The WebGPU entry point, typed narrowly so the DOM lib's lack of WebGPU types does not matter. */
interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

function webGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu;
}

function crossOriginIsolated(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * {@link ImageGPTBackend} over onnxruntime-web: its SIMD WebAssembly build, multi-threaded on
 * cross-origin-isolated pages, or its WebGPU build where the browser has WebGPU. Only the build the
 * device needs is imported (see {@link WebBackend.prepare}). On WebGPU, outputs a session is told to
 * keep ({@link BackendSessionOptions.keepOnDevice}) stay in GPU buffers between runs.
 *
 * Each onnxruntime-web build keeps its WebAssembly settings (threads, file paths) in one
 * process-wide `env` that is read once, when its first session starts; the first backend to create
 * a session fixes them for the page (or worker). `BackendSessionOptions.threads` is ignored for the
 * same reason.
 *
 * @example
 * ```ts
 * const backend = createWebBackend({ device: 'auto' });
 * const model = await ImageGPTForCausalImageModeling.fromPretrained(url, { backend });
 * ```
 */
export class WebBackend implements ImageGPTBackend {
  readonly name = 'onnxruntime-web';
  readonly #options: WebBackendOptions;
  #device: Promise<'wasm' | 'webgpu'> | undefined;
  #runtime: Promise<OrtRuntime> | undefined;
  #prepared: Promise<void> | undefined;

  constructor(options: WebBackendOptions = {}) {
    const device = options.device ?? 'wasm';
    if (device !== 'wasm' && device !== 'webgpu' && device !== 'auto') {
      throw new WebError(
        `WebBackend: device must be 'wasm', 'webgpu' or 'auto', got ${JSON.stringify(device)}`,
      );
    }
    if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
      throw new WebError(`WebBackend: threads must be a positive integer, got ${options.threads}`);
    }
    this.#options = { ...options, device };
  }

  /** The device sessions run on, once resolved (`'auto'` asks the browser for a WebGPU adapter). */
  device(): Promise<'wasm' | 'webgpu'> {
    this.#device ??= resolveDevice(this.#options.device ?? 'wasm');
    return this.#device;
  }

  /** Sessions keep outputs on the GPU when asked ({@link BackendSessionOptions.keepOnDevice}): on WebGPU. */
  async keepsOutputsOnDevice(): Promise<boolean> {
    return (await this.device()) === 'webgpu';
  }

  /**
   * Downloads, compiles and starts onnxruntime-web's WebAssembly for the device, by opening (and
   * closing) a one-node session. `fromPretrained` starts it before the model's files are fetched,
   * so compiling the runtime overlaps the download; later calls return the same promise. A failure
   * is thrown here and again by the next {@link createSession}, so nobody has to await this.
   */
  prepare(): Promise<void> {
    if (this.#prepared === undefined) {
      this.#prepared = this.#start();
      // Marks the rejection as seen: createSession awaits this promise and rethrows it.
      this.#prepared.catch(() => {});
    }
    return this.#prepared;
  }

  async #start(): Promise<void> {
    const ort = await this.#ort();
    const g = new GraphBuilder('prepare');
    g.op('Neg', [g.input('x', OnnxDataType.FLOAT, [1])], {}, 'y');
    g.output('y', OnnxDataType.FLOAT, [1]);
    const session = await ort.InferenceSession.create(g.toArtifact().model, {
      executionProviders: ['wasm'],
      logSeverityLevel: 3,
    });
    await session.release();
  }

  /** The onnxruntime-web build of the resolved device, configured once (threads, file paths). */
  #ort(): Promise<OrtRuntime> {
    this.#runtime ??= this.device().then(async (device) => {
      const ort = await importRuntime(device);
      this.#configureWasm(ort);
      return ort;
    });
    return this.#runtime;
  }

  /**
   * The largest model (graph + weights, bytes) one session may hold on the resolved device:
   * `maxWasmModelBytes` on wasm, {@link WEBGPU_MAX_MODEL_BYTES} on WebGPU.
   */
  async maxModelBytes(): Promise<number> {
    return (await this.device()) === 'webgpu'
      ? WEBGPU_MAX_MODEL_BYTES
      : (this.#options.maxWasmModelBytes ?? WASM_MAX_MODEL_BYTES);
  }

  /**
   * Throws the {@link WebError} a model of `bytes` would meet on this device; `what` names it.
   * `fromPretrained` calls it with an estimate from config.json, before any weight is downloaded.
   */
  async checkModelSize(bytes: number, what = 'the model'): Promise<void> {
    const device = await this.device();
    const limit = await this.maxModelBytes();
    if (bytes <= limit) return;
    throw new WebError(
      device === 'wasm'
        ? `WebBackend: ${what} is ${gib(bytes)} GiB, over the ${gib(limit)} GiB the wasm device can load ` +
            '(WebAssembly memory is 32-bit, 4 GiB at most, and loading holds the weights twice); ' +
            "use createWebBackend({ device: 'webgpu' }) in a browser with WebGPU, or a smaller or quantized model"
        : `WebBackend: ${what} is ${gib(bytes)} GiB, over the ${gib(limit)} GiB onnxruntime-web can load even ` +
            'with WebGPU (its WebAssembly memory stages the weights); use a smaller or quantized model, or Node',
    );
  }

  async createSession(artifact: ModelArtifact, options: BackendSessionOptions = {}): Promise<BackendSession> {
    if (artifact.externalDataFolder !== undefined) {
      throw new WebError(
        `WebBackend: this model's weights are in files in ${artifact.externalDataFolder}, which a browser cannot open; build it with weights: 'buffers'`,
      );
    }
    const device = await this.device();
    const bytes =
      artifact.model.byteLength + (artifact.externalData ?? []).reduce((n, f) => n + f.data.byteLength, 0);
    await this.checkModelSize(bytes);
    await this.#prepared;
    const ort = await this.#ort();
    const keep = device === 'webgpu' ? (options.keepOnDevice ?? []) : [];
    const session = await ort.InferenceSession.create(artifact.model, {
      executionProviders: device === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
      ...(keep.length === 0
        ? {}
        : { preferredOutputLocation: Object.fromEntries(keep.map((name) => [name, 'gpu-buffer' as const])) }),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      // Warnings such as "some nodes were not assigned to the preferred execution providers" are
      // expected (shape ops run on the CPU) and would flood the console.
      logSeverityLevel: 3,
      ...(artifact.externalData === undefined
        ? {}
        : { externalData: artifact.externalData.map(({ path, data }) => ({ path, data })) }),
    });
    return new OrtSession(session, ort.Tensor as unknown as OrtTensorClass, 'WebBackend');
  }

  #configureWasm(ort: OrtRuntime): void {
    const wasm = ort.env.wasm;
    if (!crossOriginIsolated()) wasm.numThreads = 1;
    else if (this.#options.threads !== undefined) wasm.numThreads = this.#options.threads;
    if (this.#options.wasmPaths !== undefined) wasm.wasmPaths = this.#options.wasmPaths;
  }
}

async function resolveDevice(device: WebDevice): Promise<'wasm' | 'webgpu'> {
  if (device === 'wasm') return 'wasm';
  const gpu = webGpu();
  const adapter = gpu === undefined ? null : await gpu.requestAdapter().catch(() => null);
  if (adapter) return 'webgpu';
  if (device === 'auto') return 'wasm';
  throw new WebError(
    gpu === undefined
      ? "WebBackend: device 'webgpu' asked for, but this browser has no WebGPU (navigator.gpu is undefined); use device 'wasm' or 'auto'"
      : "WebBackend: device 'webgpu' asked for, but navigator.gpu.requestAdapter() found no GPU adapter; use device 'wasm' or 'auto'",
  );
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(2);
}

/**
 * A {@link WebBackend}.
 *
 * @example
 * ```ts
 * const backend = createWebBackend({ device: 'wasm', wasmPaths: '/ort/' });
 * ```
 */
export function createWebBackend(options: WebBackendOptions = {}): WebBackend {
  return new WebBackend(options);
}
