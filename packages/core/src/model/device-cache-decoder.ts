import type { ImageGPTConfig } from '@imagegpt/config';
import { type BackendSession, isDeviceTensor, type SessionTensor } from '../backend/backend.js';
import type { Decoder } from './decoder.js';
import { float32Zeros, int64Matrix } from './host-tensors.js';
import { ModelInputError } from './model-input-error.js';
import { checkDecoderRows } from './validate-inputs.js';

/** The names of the reference graph's KV-cache outputs, which a device session keeps on the device. */
export function presentNames(nLayer: number): string[] {
  return Array.from({ length: nLayer }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat();
}

/**
 * {@link Decoder} for a backend with device memory (WebGPU): the reference graph with its last-position
 * logits, whose `present.{i}.*` outputs stay on the device ({@link BackendSession.runOnDevice}) and are
 * fed back as the next step's `past_key_values.{i}.*`. Per step only the new tokens, their positions and
 * mask go up and only the logits come back: no byte of the KV cache crosses to JS. The cache grows by
 * the graph's own Concat, on the device.
 */
export class DeviceCacheDecoder implements Decoder {
  readonly batchSize: number;
  readonly #session: () => BackendSession;
  readonly #config: ImageGPTConfig;
  /** `past_key_values.{i}.*` feeds: the last step's presents (empty before the first step). */
  #past: Record<string, SessionTensor> | undefined;
  #length = 0;
  #busy = false;
  #disposed = false;

  /** `session` returns the runner's live device session (it throws once the runner is disposed). */
  constructor(session: () => BackendSession, config: ImageGPTConfig, batchSize: number) {
    this.#session = session;
    this.#config = config;
    this.batchSize = batchSize;
  }

  get length(): number {
    return this.#length;
  }

  async next(tokens: readonly (readonly number[])[]): Promise<Float32Array> {
    if (this.#disposed) throw new Error('Decoder: next() after dispose()');
    if (this.#busy)
      throw new Error('Decoder: next() called before the previous call finished; await each step');
    const { nLayer, nHead: H, headDim: D, nPositions, vocabSize } = this.#config;
    const B = this.batchSize;
    const P = this.#length;
    // The same checks as the fast decoder's (rows, ids, context length), all rows at one length.
    const counts = checkDecoderRows(tokens, B, new Array<number>(B).fill(P), nPositions, vocabSize);
    const T = counts[0] as number;
    const uneven = counts.findIndex((n) => n !== T);
    if (uneven >= 0) {
      throw new ModelInputError(
        `inputIds[${uneven}]`,
        `has ${counts[uneven]} tokens but row 0 has ${T}; the device-cache decoder feeds every row the same number of tokens`,
      );
    }
    const session = this.#session();
    const run = session.runOnDevice?.bind(session);
    if (run === undefined) throw new Error('Decoder: the backend session cannot keep tensors on the device');
    this.#busy = true;
    try {
      const past = this.#past ?? emptyPast(nLayer, [B, H, 0, D]);
      const presents = presentNames(nLayer);
      const out = await run(
        {
          input_ids: int64Matrix(tokens),
          position_ids: int64Matrix(
            Array.from({ length: B }, () => Array.from({ length: T }, (_, t) => P + t)),
          ),
          attention_mask: int64Matrix(Array.from({ length: B }, () => new Array<number>(P + T).fill(1))),
          ...past,
        },
        ['logits', ...presents],
      );
      const logits = out.logits;
      const missing = presents.find((name) => out[name] === undefined);
      if (logits === undefined || isDeviceTensor(logits) || missing !== undefined) {
        disposeAll(out);
        throw new Error(
          `Decoder: the session did not return ${missing === undefined ? '"logits" in JS memory' : `"${missing}"`}`,
        );
      }
      const next: Record<string, SessionTensor> = {};
      presents.forEach((name, j) => {
        next[`past_key_values.${j >> 1}.${j % 2 === 0 ? 'key' : 'value'}`] = out[name] as SessionTensor;
      });
      // The step succeeded: the old cache gives way to the new one (a decoder disposed meanwhile drops both).
      disposeAll(this.#past);
      this.#past = next;
      if (this.#disposed) {
        disposeAll(this.#past);
        this.#past = undefined;
        throw new Error('Decoder: disposed while a step was running');
      }
      this.#length = P + T;
      // [B, 1, V−1]: the graph already keeps only each row's last position.
      return logits.data as Float32Array;
    } finally {
      this.#busy = false;
    }
  }

  dispose(): void {
    this.#disposed = true;
    // A step in flight replaces the cache when it returns, and disposes it then.
    if (!this.#busy) {
      disposeAll(this.#past);
      this.#past = undefined;
    }
  }
}

function emptyPast(nLayer: number, dims: readonly number[]): Record<string, SessionTensor> {
  const past: Record<string, SessionTensor> = {};
  for (let i = 0; i < nLayer; i++) {
    past[`past_key_values.${i}.key`] = float32Zeros(dims);
    past[`past_key_values.${i}.value`] = float32Zeros(dims);
  }
  return past;
}

function disposeAll(tensors: Record<string, SessionTensor> | undefined): void {
  for (const t of Object.values(tensors ?? {})) if (isDeviceTensor(t)) t.dispose();
}
