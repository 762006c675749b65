// The runtime boundary: core builds ONNX models and talks to a runtime only through these types, so
// it stays free of any platform package. @imagegpt/node and @imagegpt/web implement them.

/** Element types a {@link HostTensor} may hold (ONNX Runtime's names). */
export type HostTensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/**
 * A tensor in ordinary JS memory: row-major `data` of `dims`. `float16` is stored as raw bits in a
 * Uint16Array and `bool` as one byte per element.
 */
export interface HostTensor {
  readonly type: HostTensorType;
  readonly dims: readonly number[];
  readonly data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
}

/**
 * A tensor that stays in the runtime's device memory (a WebGPU buffer) between runs: a session
 * hands it out for the outputs named in {@link BackendSessionOptions.keepOnDevice} and takes it back
 * as a feed, so its bytes never travel through JS. Whoever holds it disposes it.
 */
export interface DeviceTensor {
  readonly location: 'device';
  readonly type: HostTensorType;
  readonly dims: readonly number[];
  /** Copies the values into JS memory: a readback, for tests and debugging rather than every step. */
  read(): Promise<HostTensor>;
  /** Frees the device memory; the tensor cannot be fed or read afterwards. */
  dispose(): void;
}

/** A tensor a session takes or returns: in JS memory, or (on a backend with device memory) on the device. */
export type SessionTensor = HostTensor | DeviceTensor;

/** Whether `t` is a {@link DeviceTensor} (HostTensors have no `location`). */
export function isDeviceTensor(t: SessionTensor): t is DeviceTensor {
  return (t as Partial<DeviceTensor>).location === 'device';
}

/**
 * A serialized ONNX model. Models over ~2 GB keep their weights in `externalData` files, which the
 * model refers to by `path` (ONNX external data, `data_location = EXTERNAL`).
 */
export interface ModelArtifact {
  readonly model: Uint8Array;
  readonly externalData?: readonly { path: string; data: Uint8Array }[];
  /**
   * The local folder that the model's external data locations are files in, when its weights stay
   * in the checkpoint's own files (`weights: 'files'`); `externalData` is then absent. Only
   * backends that say {@link ImageGPTBackend.readsLocalFiles} get such artifacts.
   */
  readonly externalDataFolder?: string;
}

/** Session settings a backend honours where its runtime can. */
export interface BackendSessionOptions {
  /** Intra-op threads; the backend's default when absent. */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Outputs to keep in device memory: {@link BackendSession.runOnDevice} returns them as
   * {@link DeviceTensor}s. Honoured by backends whose {@link ImageGPTBackend.keepsOutputsOnDevice}
   * says so (WebGPU); others return these outputs in JS memory as usual.
   */
  keepOnDevice?: readonly string[];
}

/** A loaded model, ready to run. */
export interface BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the model. Only the outputs named in `fetches` (all outputs when absent) are copied back.
   */
  run(
    feeds: Readonly<Record<string, HostTensor>>,
    fetches?: readonly string[],
  ): Promise<Record<string, HostTensor>>;
  /**
   * Runs the model with tensors that live on the device: `feeds` may hold DeviceTensors an earlier
   * run returned, and the outputs the session was told to keep
   * ({@link BackendSessionOptions.keepOnDevice}) come back as DeviceTensors, the caller's to dispose.
   * Every other output is copied back as a HostTensor. Absent on backends without device memory.
   */
  runOnDevice?(
    feeds: Readonly<Record<string, SessionTensor>>,
    fetches: readonly string[],
  ): Promise<Record<string, SessionTensor>>;
  /** Releases the runtime's memory; the session is unusable afterwards. */
  dispose(): Promise<void>;
}

/**
 * Our runtime interface (named so it is not confused with onnxruntime-common's `Backend`): turns a
 * {@link ModelArtifact} into a {@link BackendSession}.
 *
 * @example
 * const session = await backend.createSession(buildImageGPTGraph(config, checkpoint, { head: 'causal' }));
 */
export interface ImageGPTBackend {
  readonly name: string;
  createSession(artifact: ModelArtifact, options?: BackendSessionOptions): Promise<BackendSession>;
  /**
   * Whether sessions can keep outputs in device memory between runs
   * ({@link BackendSessionOptions.keepOnDevice}, {@link BackendSession.runOnDevice}): true on WebGPU,
   * where copying a KV cache back every step would cost more than the step. Absent means no.
   */
  keepsOutputsOnDevice?(): Promise<boolean>;
  /**
   * Whether the backend opens artifacts whose weights stay in local files
   * ({@link ModelArtifact.externalDataFolder}): true for onnxruntime-node, which maps them, so a
   * model loads without its weights passing through JS memory. Absent means no.
   */
  readonly readsLocalFiles?: boolean;
}
