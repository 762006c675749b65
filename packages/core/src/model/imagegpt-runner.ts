import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import type {
  BackendSession,
  BackendSessionOptions,
  HostTensor,
  ImageGPTBackend,
  ModelArtifact,
} from '../backend/backend.js';
import { operatorRefusal } from '../backend/operator-refusal.js';
import type { Checkpoint } from '../checkpoint/index.js';
import { buildDecodeGraph } from '../graph/decode-graph.js';
import { checkImageGPTWeights } from '../graph/expected-weights.js';
import type { WeightPlacement } from '../graph/graph-builder.js';
import type { DecoderKind, PrefillKind } from '../graph/graph-kind.js';
import { buildImageGPTGraph } from '../graph/imagegpt-graph.js';
import { buildPrefillGraph } from '../graph/prefill-graph.js';
import type { ModelDType } from '../quantize/weight-dtype.js';
import { type Decoder, ReferenceDecoder } from './decoder.js';
import { DeviceCacheDecoder, presentNames } from './device-cache-decoder.js';
import { FastDecoder } from './fast-decoder.js';
import type { ForwardOptions, ForwardResult } from './forward-types.js';
import { float32Zeros, int64Matrix } from './host-tensors.js';
import type { KeyValueCache } from './kv-cache.js';
import { ModelInputError } from './model-input-error.js';
import { checkIntegerRows, checkPast } from './validate-inputs.js';

/**
 * A graph the runner was asked for and the backend refused, so the reference graph runs in its
 * place: `fast` (the decoder) or `fused` (the prefill).
 */
export interface GraphFallback {
  readonly graph: Exclude<DecoderKind | PrefillKind, 'reference'>;
  /** The backend's message, naming the operator it does not implement. */
  readonly reason: string;
}

/** Options of {@link ImageGPTRunner.create}. */
export interface ImageGPTRunnerOptions {
  backend: ImageGPTBackend;
  config: ImageGPTConfig;
  checkpoint: Checkpoint;
  head: ModelHead;
  sessionOptions?: BackendSessionOptions;
  /**
   * How the weights reach the backend. Default `files` on a backend that
   * {@link ImageGPTBackend.readsLocalFiles} (float32 weights that lie in a local safetensors file
   * are loaded by the runtime from there, never entering JS memory), else `buffers` (each weight is
   * an in-memory external data entry viewing the checkpoint's array, so building a session copies
   * no weight in JS); `embedded` writes them into the model bytes, as a file would hold them.
   */
  weights?: WeightPlacement;
  /** With `weights: 'embedded'`: weight bytes above which they move to ONNX external data (default just under 2 GiB). */
  externalDataThreshold?: number;
  /** How matrix weights are stored (default `fp32`); `q8` / `q4` trade a little accuracy for speed. */
  dtype?: ModelDType;
  /**
   * The decoder kind for the causal head (default `fast`); see {@link DecoderKind}. When the backend
   * refuses an operator of the fast graph the runner decodes with `reference` and records why in
   * {@link ImageGPTRunner.fallbacks}; any other error is thrown. On a backend that keeps outputs
   * on the device (WebGPU), `fast` keeps the KV cache there instead (see
   * {@link ImageGPTRunner.cacheOnDevice}).
   */
  decoder?: DecoderKind;
  /**
   * The graph for whole unpadded sequences (default `reference`); see {@link PrefillKind}. A
   * `fused` graph the backend refuses falls back as the decoder does.
   */
  prefill?: PrefillKind;
}

/**
 * Runs an ImageGPT model on a backend: HF's forward pass (mask, positions, KV cache) and KV-cached
 * incremental decoding. One session per runner; its graph always has the hidden-state outputs, and
 * a call only copies back what it asks for.
 *
 * @example
 * const runner = await ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal' });
 * const { logits } = await runner.forward([[config.sosTokenId, 3, 7]]); // [1, 3, V−1]
 * await runner.dispose();
 */
export class ImageGPTRunner {
  readonly config: ImageGPTConfig;
  readonly head: ModelHead;
  /** The weight storage the runner's graphs use. */
  readonly dtype: ModelDType;
  /** The decoder kind in use: `reference` when asked for, or when the backend refused the fast graph. */
  readonly decoder: DecoderKind;
  /**
   * Whether the fast decoder keeps its KV cache in device memory: on a backend that
   * {@link ImageGPTBackend.keepsOutputsOnDevice | keeps outputs on the device} (WebGPU) it decodes
   * over the reference graph with the cache left on the GPU between steps, so no cache byte is read
   * back; elsewhere the cache lives in JS buffers that the decode graph reads in place.
   */
  readonly cacheOnDevice: boolean;
  // Appended to when a refused graph falls back; the fused one may be opened long after create().
  readonly #fallbacks: GraphFallback[];
  #forwardSession: Promise<BackendSession> | undefined;
  #decodeSession: BackendSession | undefined;
  // Kept only until the forward session exists (it is built on first use when decoding came first).
  #buildForward: (() => Promise<BackendSession>) | undefined;
  // The fused whole-sequence session, opened on first use; undefined inside when the backend refused it.
  #fusedSession: Promise<BackendSession | undefined> | undefined;
  #buildFused: (() => Promise<BackendSession | undefined>) | undefined;
  // The reference graph with the attentions outputs, opened on the first outputAttentions call.
  #attentionSession: Promise<BackendSession> | undefined;
  #buildAttention: (() => Promise<BackendSession>) | undefined;
  #disposed = false;

  private constructor(
    options: ImageGPTRunnerOptions,
    decodeSession: BackendSession | undefined,
    cacheOnDevice: boolean,
    buildForward: () => Promise<BackendSession>,
    buildFused: (() => Promise<BackendSession | undefined>) | undefined,
    buildAttention: () => Promise<BackendSession>,
    fallbacks: GraphFallback[],
  ) {
    this.cacheOnDevice = decodeSession !== undefined && cacheOnDevice;
    this.config = options.config;
    this.head = options.head;
    this.dtype = options.dtype ?? 'fp32';
    this.decoder = decodeSession === undefined ? 'reference' : 'fast';
    this.#fallbacks = fallbacks;
    this.#decodeSession = decodeSession;
    this.#buildForward = buildForward;
    this.#buildFused = buildFused;
    this.#buildAttention = buildAttention;
  }

  /**
   * The graphs asked for that the backend refused (an operator it does not implement), each with
   * the backend's message; the reference graph runs in their place. Empty when every graph loaded.
   * A `fused` prefill is opened on first use, so its entry may appear after a `forward()`.
   */
  get fallbacks(): readonly GraphFallback[] {
    return [...this.#fallbacks];
  }

  /**
   * Validates the weights, builds the ONNX graph and opens a session on `backend`. A causal runner
   * with the fast decoder opens the decoding session now and the full forward session on the first
   * `forward()`, so generation pays for one session only.
   */
  static async create(options: ImageGPTRunnerOptions): Promise<ImageGPTRunner> {
    const { backend, config, checkpoint, head } = options;
    checkImageGPTWeights(config, checkpoint, head);
    const common = {
      head,
      weights: options.weights ?? (backend.readsLocalFiles === true ? 'files' : 'buffers'),
      ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
      ...(options.externalDataThreshold === undefined
        ? {}
        : { externalDataThreshold: options.externalDataThreshold }),
    };
    const buildForward = () =>
      backend.createSession(
        buildImageGPTGraph(config, checkpoint, { ...common, outputHiddenStates: true }),
        options.sessionOptions,
      );
    const fallbacks: GraphFallback[] = [];
    // The fast and fused graphs use ONNX Runtime's contrib ops; a runtime without one of them runs
    // the reference graph instead. Any other failure is the caller's to see.
    const openUnlessRefused = async (graph: GraphFallback['graph'], build: () => ModelArtifact) => {
      try {
        return await backend.createSession(build(), options.sessionOptions);
      } catch (error) {
        const reason = operatorRefusal(error);
        if (reason === undefined) throw error;
        fallbacks.push({ graph, reason });
        return undefined;
      }
    };
    const fast = head === 'causal' && (options.decoder ?? 'fast') === 'fast';
    const cacheOnDevice = fast && (await backend.keepsOutputsOnDevice?.()) === true;
    const decodeSession = !fast
      ? undefined
      : cacheOnDevice
        ? await backend.createSession(buildImageGPTGraph(config, checkpoint, { ...common, logits: 'last' }), {
            ...options.sessionOptions,
            keepOnDevice: presentNames(config.nLayer),
          })
        : await openUnlessRefused('fast', () => buildDecodeGraph(config, checkpoint, common));
    const buildFused =
      options.prefill === 'fused'
        ? () =>
            openUnlessRefused('fused', () =>
              buildPrefillGraph(config, checkpoint, { ...common, outputHiddenStates: true }),
            )
        : undefined;
    const buildAttention = () =>
      backend.createSession(
        buildImageGPTGraph(config, checkpoint, {
          ...common,
          outputHiddenStates: true,
          outputAttentions: true,
        }),
        options.sessionOptions,
      );
    const runner = new ImageGPTRunner(
      options,
      decodeSession,
      cacheOnDevice,
      buildForward,
      buildFused,
      buildAttention,
      fallbacks,
    );
    // Open one session now so a model that cannot load fails here, not on first use. With a fused
    // prefill that is the fused session: a batch job (features, nll) then never opens the others.
    if (decodeSession === undefined) {
      if (buildFused !== undefined && (await runner.#fused()) !== undefined) return runner;
      await runner.#forward();
    }
    return runner;
  }

  /** The full-graph session, opened on first use when the runner started with the decoder only. */
  #forward(): Promise<BackendSession> {
    if (this.#disposed) return Promise.reject(new Error('ImageGPTRunner: forward() after dispose()'));
    if (this.#forwardSession === undefined) {
      const build = this.#buildForward as () => Promise<BackendSession>;
      this.#forwardSession = build();
      this.#buildForward = undefined;
    }
    return this.#forwardSession;
  }

  /** The reference session with the attentions outputs, opened on first use. */
  #attention(): Promise<BackendSession> {
    if (this.#disposed) return Promise.reject(new Error('ImageGPTRunner: forward() after dispose()'));
    if (this.#attentionSession === undefined) {
      const build = this.#buildAttention as () => Promise<BackendSession>;
      this.#attentionSession = build();
      this.#buildAttention = undefined;
    }
    return this.#attentionSession;
  }

  /** The fused whole-sequence session when the runner was asked for one and the backend loads it. */
  #fused(): Promise<BackendSession | undefined> {
    if (this.#disposed) return Promise.reject(new Error('ImageGPTRunner: forward() after dispose()'));
    if (this.#fusedSession === undefined && this.#buildFused !== undefined) {
      this.#fusedSession = this.#buildFused();
      this.#buildFused = undefined;
    }
    return this.#fusedSession ?? Promise.resolve(undefined);
  }

  /**
   * One forward pass over `inputIds` ([B][T] token ids), continuing after `options.past` if given.
   * Inputs are checked before any compute; a problem throws {@link ModelInputError}.
   */
  async forward(
    inputIds: readonly (readonly number[])[],
    options: ForwardOptions = {},
  ): Promise<ForwardResult> {
    if (this.#disposed) throw new Error('ImageGPTRunner: forward() after dispose()');
    const { config } = this;
    const { nLayer, nHead: H, headDim: D, nPositions } = config;

    const T = checkIntegerRows('inputIds', inputIds, 0, config.vocabSize - 1, 'a token id');
    const B = inputIds.length;
    if (T === 0) throw new ModelInputError('inputIds', 'rows are empty, expected at least one token per row');
    const P = checkPast(config, options.past, B);
    // With explicit positions each one is checked below; the slots may then outnumber n_positions,
    // as left padding needs (padded slots hold no position of their own).
    if (options.positionIds === undefined && P + T > nPositions) {
      throw new ModelInputError(
        'inputIds',
        `${P > 0 ? `${P} cached + ` : ''}${T} tokens exceed n_positions = ${nPositions}`,
      );
    }
    const mask = options.attentionMask ?? Array.from({ length: B }, () => new Array<number>(P + T).fill(1));
    if (checkIntegerRows('attentionMask', mask, 0, 1, 'a mask value') !== P + T || mask.length !== B) {
      throw new ModelInputError(
        'attentionMask',
        `is [${mask.length}][${mask[0]?.length}], expected [${B}][${P + T}] (batch, past + new tokens)`,
      );
    }
    const positions =
      options.positionIds ?? Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => P + t));
    if (
      checkIntegerRows('positionIds', positions, 0, nPositions - 1, 'a position') !== T ||
      positions.length !== B
    ) {
      throw new ModelInputError(
        'positionIds',
        `is [${positions.length}][${positions[0]?.length}], expected [${B}][${T}] (batch, new tokens)`,
      );
    }

    const feeds: Record<string, HostTensor> = {
      input_ids: int64Matrix(inputIds),
      position_ids: int64Matrix(positions),
    };
    const plain =
      P === 0 &&
      options.positionIds === undefined &&
      (options.attentionMask === undefined || mask.every((row) => row.every((m) => m === 1)));
    const attentions = options.outputAttentions === true;
    const fused = plain && !attentions ? await this.#fused() : undefined;
    if (fused === undefined) {
      feeds.attention_mask = int64Matrix(mask);
      for (let i = 0; i < nLayer; i++) {
        const layer = options.past?.layers[i];
        feeds[`past_key_values.${i}.key`] = layer?.key ?? float32Zeros([B, H, 0, D]);
        feeds[`past_key_values.${i}.value`] = layer?.value ?? float32Zeros([B, H, 0, D]);
      }
    }
    const presentNames = Array.from({ length: nLayer }, (_, i) => [
      `present.${i}.key`,
      `present.${i}.value`,
    ]).flat();
    const hiddenNames = options.outputHiddenStates
      ? Array.from({ length: nLayer + 1 }, (_, i) => `hidden_states.${i}`)
      : [];
    const headNames =
      this.head === 'causal' ? ['logits'] : this.head === 'classifier' ? ['logits', 'pooled'] : [];
    const attentionNames = attentions ? Array.from({ length: nLayer }, (_, i) => `attentions.${i}`) : [];
    const session = fused ?? (await (attentions ? this.#attention() : this.#forward()));
    const out = await session.run(feeds, [
      ...headNames,
      'last_hidden_state',
      ...presentNames,
      ...hiddenNames,
      ...attentionNames,
    ]);

    const get = (name: string): HostTensor => {
      const t = out[name];
      if (t === undefined) throw new Error(`ImageGPTRunner: the session did not return "${name}"`);
      return t;
    };
    const presents: KeyValueCache = {
      length: P + T,
      layers: Array.from({ length: nLayer }, (_, i) => ({
        key: get(`present.${i}.key`),
        value: get(`present.${i}.value`),
      })),
    };
    const lastHiddenState = get('last_hidden_state');
    return {
      logits: this.head === 'base' ? lastHiddenState : get('logits'),
      presents,
      lastHiddenState,
      ...(options.outputHiddenStates ? { hiddenStates: hiddenNames.map(get) } : {}),
      ...(attentions ? { attentions: attentionNames.map(get) } : {}),
      ...(this.head === 'classifier' ? { pooled: get('pooled') } : {}),
    };
  }

  /**
   * A KV-cached decoder for `batchSize` rows: the first `next` feeds the prompts, later calls one
   * token per row. Causal head only.
   */
  createDecoder(batchSize: number): Decoder {
    if (this.head !== 'causal')
      throw new ModelInputError('head', `is "${this.head}", decoding needs the causal head`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ModelInputError('batchSize', `is ${batchSize}, expected a positive integer`);
    if (this.#decodeSession === undefined) return new ReferenceDecoder(this, batchSize);
    const session = () => {
      const live = this.#decodeSession;
      if (live === undefined) throw new Error('Decoder: next() after the runner was disposed');
      return live;
    };
    return this.cacheOnDevice
      ? new DeviceCacheDecoder(session, this.config, batchSize)
      : new FastDecoder(session, this.config, batchSize);
  }

  /** Releases the sessions; the runner cannot be used afterwards. Calling it twice is harmless. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const forward = this.#forwardSession;
    const decode = this.#decodeSession;
    const fused = this.#fusedSession;
    const attention = this.#attentionSession;
    this.#forwardSession = undefined;
    this.#attentionSession = undefined;
    this.#buildAttention = undefined;
    this.#decodeSession = undefined;
    this.#fusedSession = undefined;
    this.#buildForward = undefined;
    this.#buildFused = undefined;
    // A session that failed to open has nothing to release, and must not mask the caller's error.
    await Promise.allSettled([
      forward?.then(
        (s) => s.dispose(),
        () => undefined,
      ),
      decode?.dispose(),
      fused?.then(
        (s) => s?.dispose(),
        () => undefined,
      ),
      attention?.then(
        (s) => s.dispose(),
        () => undefined,
      ),
    ]);
  }
}
