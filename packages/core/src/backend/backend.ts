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
 * A serialized ONNX model. Models over ~2 GB keep their weights in `externalData` files, which the
 * model refers to by `path` (ONNX external data, `data_location = EXTERNAL`).
 */
export interface ModelArtifact {
  readonly model: Uint8Array;
  readonly externalData?: readonly { path: string; data: Uint8Array }[];
}

/** Session settings a backend honours where its runtime can. */
export interface BackendSessionOptions {
  /** Intra-op threads; the backend's default when absent. */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
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
}
