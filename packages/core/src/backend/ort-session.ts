import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { BackendSession, HostTensor, HostTensorType } from './backend.js';

/**
 * A runtime's `Tensor` class. Core depends on onnxruntime-common's types only, so each runtime
 * package (onnxruntime-node, onnxruntime-web) hands its own class to {@link OrtSession}.
 */
export type OrtTensorClass = new (
  type: HostTensorType,
  data: HostTensor['data'],
  dims: readonly number[],
) => Tensor;

const HOST_TYPES: ReadonlySet<string> = new Set<HostTensorType>([
  'float32',
  'float16',
  'int64',
  'int32',
  'uint8',
  'bool',
]);

/**
 * A {@link BackendSession} over an onnxruntime `InferenceSession`, shared by the Node and web
 * backends: feeds wrap the caller's typed arrays without a copy, outputs come back as the
 * JS-owned arrays the runtime returns, and every tensor is disposed after the run.
 */
export class OrtSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #session: InferenceSession | undefined;

  /** `label` names the backend in error messages, e.g. `NodeBackend`. */
  constructor(
    session: InferenceSession,
    private readonly TensorClass: OrtTensorClass,
    private readonly label: string,
  ) {
    this.#session = session;
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
  }

  async run(
    feeds: Readonly<Record<string, HostTensor>>,
    fetches?: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    const session = this.#session;
    if (session === undefined) throw new Error(`${this.label}: run() on a disposed session`);
    const ortFeeds: Record<string, Tensor> = {};
    let outputs: InferenceSession.OnnxValueMapType | undefined;
    try {
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = this.#toOrt(name, t);
      outputs =
        fetches === undefined ? await session.run(ortFeeds) : await session.run(ortFeeds, [...fetches]);
      const result: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(outputs))
        result[name] = this.#fromOrt(name, value as Tensor);
      return result;
    } finally {
      for (const t of Object.values(ortFeeds)) t.dispose();
      for (const t of Object.values(outputs ?? {})) (t as Tensor).dispose();
    }
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.release();
  }

  #toOrt(name: string, t: HostTensor): Tensor {
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== size) {
      throw new TypeError(
        `${this.label}: feed "${name}" has ${t.data.length} values, dims [${t.dims.join(', ')}] need ${size}`,
      );
    }
    return new this.TensorClass(t.type, t.data, t.dims);
  }

  #fromOrt(name: string, t: Tensor): HostTensor {
    if (!HOST_TYPES.has(t.type)) {
      throw new TypeError(`${this.label}: output "${name}" has type ${t.type}, which HostTensor cannot hold`);
    }
    return { type: t.type as HostTensorType, dims: [...t.dims], data: t.data as HostTensor['data'] };
  }
}
