import { availableParallelism } from 'node:os';
import type {
  BackendSession,
  BackendSessionOptions,
  HostTensor,
  HostTensorType,
  ImageGPTBackend,
  ModelArtifact,
} from '@imagegpt/core';
import * as ort from 'onnxruntime-node';

/** Options of {@link createNodeBackend}. */
export interface NodeBackendOptions {
  /** Default intra-op threads for sessions; all cores (`os.availableParallelism()`) when absent. */
  threads?: number;
  /**
   * Where ONNX Runtime writes the graph after its optimizations (a debugging aid: open it in Netron
   * to see which nodes were fused). Each session overwrites the file.
   */
  optimizedModelFilePath?: string;
}

// onnxruntime-node 1.30 ships telemetry that is on by default: it writes a device id and a
// database under ~/.cache/Microsoft, tries HTTPS uploads, and scans /proc/self/cmdline
// recursively while the first session is created (about 100 bytes of native stack per
// command-line byte, so `igpt classify` over a thousand files overflowed the 8 MB stack and
// segfaulted). Off unless the user set the variable; it is read when the first session is made.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const HOST_TYPES: ReadonlySet<string> = new Set<HostTensorType>([
  'float32',
  'float16',
  'int64',
  'int32',
  'uint8',
  'bool',
]);

/** HostTensor → ort.Tensor without copying the data. */
function toOrt(name: string, t: HostTensor): ort.Tensor {
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) {
    throw new TypeError(
      `NodeBackend: feed "${name}" has ${t.data.length} values, dims [${t.dims.join(', ')}] need ${size}`,
    );
  }
  // The overloads of the ort.Tensor constructor pair each type with its array class; HostTensor keeps the same pairs.
  return new ort.Tensor(t.type, t.data as Float32Array, t.dims);
}

/** ort.Tensor → HostTensor; the typed array onnxruntime-node returns is already a copy owned by JS. */
function fromOrt(name: string, t: ort.Tensor): HostTensor {
  if (!HOST_TYPES.has(t.type))
    throw new TypeError(`NodeBackend: output "${name}" has type ${t.type}, which HostTensor cannot hold`);
  return { type: t.type as HostTensorType, dims: [...t.dims], data: t.data as HostTensor['data'] };
}

class NodeSession implements BackendSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #session: ort.InferenceSession | undefined;

  constructor(session: ort.InferenceSession) {
    this.#session = session;
    this.inputNames = [...session.inputNames];
    this.outputNames = [...session.outputNames];
  }

  async run(
    feeds: Readonly<Record<string, HostTensor>>,
    fetches?: readonly string[],
  ): Promise<Record<string, HostTensor>> {
    const session = this.#session;
    if (session === undefined) throw new Error('NodeBackend: run() on a disposed session');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(name, t);
    let outputs: ort.InferenceSession.OnnxValueMapType | undefined;
    try {
      outputs =
        fetches === undefined ? await session.run(ortFeeds) : await session.run(ortFeeds, [...fetches]);
      const result: Record<string, HostTensor> = {};
      for (const [name, value] of Object.entries(outputs)) result[name] = fromOrt(name, value as ort.Tensor);
      return result;
    } finally {
      for (const t of Object.values(ortFeeds)) t.dispose();
      for (const t of Object.values(outputs ?? {})) (t as ort.Tensor).dispose();
    }
  }

  async dispose(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    await session?.release();
  }
}

/**
 * {@link ImageGPTBackend} over onnxruntime-node (CPU): full graph optimization and, by default, one
 * intra-op thread per core.
 *
 * @example
 * const backend = createNodeBackend();
 * const runner = await ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal' });
 */
export class NodeBackend implements ImageGPTBackend {
  readonly name = 'onnxruntime-node';
  readonly #threads: number | undefined;
  readonly #optimizedModelFilePath: string | undefined;

  constructor(options: NodeBackendOptions = {}) {
    this.#threads = options.threads;
    this.#optimizedModelFilePath = options.optimizedModelFilePath;
  }

  async createSession(artifact: ModelArtifact, options: BackendSessionOptions = {}): Promise<BackendSession> {
    const session = await ort.InferenceSession.create(artifact.model, {
      intraOpNumThreads: options.threads ?? this.#threads ?? availableParallelism(),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(this.#optimizedModelFilePath === undefined
        ? {}
        : { optimizedModelFilePath: this.#optimizedModelFilePath }),
      ...(artifact.externalData === undefined
        ? {}
        : { externalData: artifact.externalData.map(({ path, data }) => ({ path, data })) }),
    });
    return new NodeSession(session);
  }
}

/** A {@link NodeBackend}; `threads` defaults to all cores. */
export function createNodeBackend(options: NodeBackendOptions = {}): NodeBackend {
  return new NodeBackend(options);
}
