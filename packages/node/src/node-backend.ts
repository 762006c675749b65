import { availableParallelism } from 'node:os';
import {
  type BackendSession,
  type BackendSessionOptions,
  type ImageGPTBackend,
  type ModelArtifact,
  OrtSession,
  type OrtTensorClass,
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
  /**
   * Turns on onnxruntime's profiler: each session writes `<prefix>_<date and time>.json` when it is
   * disposed, a Chrome trace of the session's creation and of every node of every run (open it in
   * chrome://tracing or Perfetto). `igpt bench` reads them to show where a decode step's time goes.
   */
  profileFilePrefix?: string;
}

/**
 * onnxruntime-node 1.30 ships telemetry that is on by default: it writes a device id and a
 * database under ~/.cache/Microsoft, tries HTTPS uploads, and scans /proc/self/cmdline
 * recursively while the first session is created (about 100 bytes of native stack per
 * command-line byte, so `igpt classify` over a thousand files overflowed the 8 MB stack and
 * segfaulted). Off unless the user set the variable. The runtime reads it when it creates its
 * environment, with the first session, so it is set just before each session is made rather than
 * on import: importing this package changes nothing (`"sideEffects": false` holds).
 */
function telemetryOffUnlessSet(): void {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
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
  /** Weights that stay in local files are mapped by onnxruntime itself ({@link ModelArtifact.externalDataFolder}). */
  readonly readsLocalFiles = true;
  readonly #threads: number | undefined;
  readonly #optimizedModelFilePath: string | undefined;
  readonly #profileFilePrefix: string | undefined;

  constructor(options: NodeBackendOptions = {}) {
    this.#threads = options.threads;
    this.#optimizedModelFilePath = options.optimizedModelFilePath;
    this.#profileFilePrefix = options.profileFilePrefix;
  }

  async createSession(artifact: ModelArtifact, options: BackendSessionOptions = {}): Promise<BackendSession> {
    telemetryOffUnlessSet();
    const session = await ort.InferenceSession.create(artifact.model, {
      intraOpNumThreads: options.threads ?? this.#threads ?? availableParallelism(),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(this.#optimizedModelFilePath === undefined
        ? {}
        : { optimizedModelFilePath: this.#optimizedModelFilePath }),
      ...(this.#profileFilePrefix === undefined
        ? {}
        : { enableProfiling: true, profileFilePrefix: this.#profileFilePrefix }),
      ...(artifact.externalData === undefined
        ? {}
        : { externalData: artifact.externalData.map(({ path, data }) => ({ path, data })) }),
      // A model built in memory has no folder of its own: this is where its external data files are.
      ...(artifact.externalDataFolder === undefined
        ? {}
        : {
            extra: { session: { model_external_initializers_file_folder_path: artifact.externalDataFolder } },
          }),
    });
    return new OrtSession(session, ort.Tensor as unknown as OrtTensorClass, 'NodeBackend');
  }
}

/** A {@link NodeBackend}; `threads` defaults to all cores. */
export function createNodeBackend(options: NodeBackendOptions = {}): NodeBackend {
  return new NodeBackend(options);
}
