import type { InferenceSession, Tensor } from 'onnxruntime-common';
import {
  type BackendSession,
  type DeviceTensor,
  type HostTensor,
  type HostTensorType,
  isDeviceTensor,
  type SessionTensor,
} from './backend.js';

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

/** A {@link DeviceTensor} over an onnxruntime tensor that lives in a GPU buffer. */
class OrtDeviceTensor implements DeviceTensor {
  readonly location = 'device';
  readonly type: HostTensorType;
  readonly dims: readonly number[];
  #tensor: Tensor | undefined;

  constructor(tensor: Tensor, type: HostTensorType) {
    this.#tensor = tensor;
    this.type = type;
    this.dims = [...tensor.dims];
  }

  /** The runtime's tensor, to feed back; throws once disposed. */
  ort(label: string, name: string): Tensor {
    if (this.#tensor === undefined) throw new Error(`${label}: feed "${name}" is a disposed DeviceTensor`);
    return this.#tensor;
  }

  async read(): Promise<HostTensor> {
    const tensor = this.ort('DeviceTensor', 'read()');
    const data = (await tensor.getData()) as HostTensor['data'];
    return { type: this.type, dims: this.dims, data };
  }

  dispose(): void {
    this.#tensor?.dispose();
    this.#tensor = undefined;
  }
}

/**
 * A {@link BackendSession} over an onnxruntime `InferenceSession`, shared by the Node and web
 * backends: feeds wrap the caller's typed arrays without a copy, outputs come back as the
 * JS-owned arrays the runtime returns, and every tensor is disposed after the run, except the
 * outputs a GPU session keeps in device memory (`preferredOutputLocation: 'gpu-buffer'`), which
 * {@link runOnDevice} hands out as DeviceTensors.
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
    const out = await this.#run(feeds, fetches);
    for (const [name, t] of Object.entries(out)) {
      if (isDeviceTensor(t)) {
        t.dispose();
        throw new TypeError(`${this.label}: output "${name}" is kept on the device; use runOnDevice()`);
      }
    }
    return out as Record<string, HostTensor>;
  }

  runOnDevice(
    feeds: Readonly<Record<string, SessionTensor>>,
    fetches: readonly string[],
  ): Promise<Record<string, SessionTensor>> {
    return this.#run(feeds, fetches);
  }

  async #run(
    feeds: Readonly<Record<string, SessionTensor>>,
    fetches: readonly string[] | undefined,
  ): Promise<Record<string, SessionTensor>> {
    const session = this.#session;
    if (session === undefined) throw new Error(`${this.label}: run() on a disposed session`);
    const ownFeeds: Tensor[] = [];
    const ortFeeds: Record<string, Tensor> = {};
    let outputs: InferenceSession.OnnxValueMapType | undefined;
    const kept = new Set<string>();
    let done = false;
    try {
      for (const [name, t] of Object.entries(feeds)) {
        if (t instanceof OrtDeviceTensor) ortFeeds[name] = t.ort(this.label, name);
        else if (isDeviceTensor(t)) {
          throw new TypeError(`${this.label}: feed "${name}" is a DeviceTensor of another runtime`);
        } else {
          const own = this.#toOrt(name, t);
          ownFeeds.push(own);
          ortFeeds[name] = own;
        }
      }
      outputs =
        fetches === undefined ? await session.run(ortFeeds) : await session.run(ortFeeds, [...fetches]);
      const result: Record<string, SessionTensor> = {};
      for (const [name, value] of Object.entries(outputs)) {
        const t = value as Tensor;
        if (t.location === 'gpu-buffer') {
          result[name] = new OrtDeviceTensor(t, this.#hostType(name, t));
          kept.add(name);
        } else result[name] = this.#fromOrt(name, t);
      }
      done = true;
      return result;
    } finally {
      for (const t of ownFeeds) t.dispose();
      // Kept outputs are the caller's once returned; on an error nobody holds them.
      for (const [name, t] of Object.entries(outputs ?? {}))
        if (!done || !kept.has(name)) (t as Tensor).dispose();
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

  #hostType(name: string, t: Tensor): HostTensorType {
    if (!HOST_TYPES.has(t.type)) {
      throw new TypeError(`${this.label}: output "${name}" has type ${t.type}, which HostTensor cannot hold`);
    }
    return t.type as HostTensorType;
  }

  #fromOrt(name: string, t: Tensor): HostTensor {
    return { type: this.#hostType(name, t), dims: [...t.dims], data: t.data as HostTensor['data'] };
  }
}
