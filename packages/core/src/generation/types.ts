import type { Decoder } from '../model/index.js';
import type { AbortSignalLike } from './abort-error.js';

/**
 * The config fields generation reads. `ImageGPTConfig` from `@imagegpt/config` satisfies it; it is
 * declared structurally so generation can run against any model object (and fakes in tests).
 */
export interface GenerationConfigLike {
  /** Colour clusters + 1; the SOS token is `vocabSize - 1` and logits have `vocabSize - 1` columns. */
  readonly vocabSize: number;
  /** Pixels per image; a full sequence is `nPositions + 1` tokens including SOS. */
  readonly nPositions: number;
  /** Pixels per image row, used to report completed rows (undefined for non-square images). */
  readonly imageSide: number | undefined;
}

/**
 * Anything `generate` can drive: an `ImageGPTRunner` with a causal head, or a test double. Its
 * {@link Decoder} gets the whole prompt (B×T0) on the first `next`, then one token per row (B×1), and
 * must answer each call with the `[B, vocabSize - 1]` logits at every row's last position.
 */
export interface GenerativeModel {
  readonly config: GenerationConfigLike;
  createDecoder(batchSize: number): Decoder;
}

/** Reported by `onToken` after every generation step. */
export interface TokenEvent {
  /** 0-based step; step 0 is the token predicted from the prompt. */
  step: number;
  /**
   * Index of the new token in each sequence (SOS is index 0, so the pixel index is `position - 1`).
   * With prompts of different lengths the rows are at different positions: this is the largest of
   * {@link positions}.
   */
  position: number;
  /** Index of each row's new token, or −1 for a row that is done and got none. */
  positions: number[];
  /** The new token of each row, or −1 for a row that is done. */
  tokens: number[];
  /** The sequences so far, SOS included. A live view: copy it to keep it beyond the callback. */
  sequences: readonly (readonly number[])[];
}

/** Reported by `onRow` whenever generation completes an image row (`imageSide` pixels). */
export interface RowEvent {
  /** 0-based index of the image row just completed. */
  row: number;
  /** Partial images: every pixel so far of each sequence, without SOS (a fresh copy). */
  pixels: readonly number[][];
  /**
   * The sequences that completed image row {@link row} in this step: all of them when the prompts
   * have one length; with prompts of different lengths each step may complete different rows.
   */
  sequences: number[];
}

/** Options of {@link generate}; every field is optional and defaults follow HF's `generate`. */
export interface GenerateOptions {
  /** Total sequence length, prompt and SOS included. Default and maximum: `nPositions + 1`. */
  maxLength?: number;
  /**
   * Tokens to generate after each prompt row, whatever its length (HF's `max_new_tokens`); wins over
   * `maxLength` when both are given. A row may not outgrow a whole image (`nPositions + 1`).
   */
  maxNewTokens?: number | null;
  /** Sample from the warped distribution instead of greedy argmax. Default false. */
  doSample?: boolean;
  /** Sampling only: divide logits by this (> 0). Default 1. */
  temperature?: number | null;
  /** Sampling only: keep the `topK` best tokens. Unset means HF's default of 50; 0 or null disables. */
  topK?: number | null;
  /** Sampling only: nucleus filtering threshold in [0, 1]; 1 or unset disables. */
  topP?: number | null;
  /** Sampling only: seed of the portable PRNG; unset draws one from Web Crypto. */
  seed?: number | bigint;
  /**
   * Sampling only: row `b` of this call draws from stream `firstStream + b` of the seed (default 0).
   * A job split into calls of any batch size gives the same rows as one call when each call starts
   * at the number of rows before it. Nearby seeds give unrelated streams.
   */
  firstStream?: number;
  /** Copies per prompt row (HF `repeat_interleave`); needs `doSample` when > 1. Default 1. */
  numReturnSequences?: number;
  /**
   * Prompt rows, each `[SOS, ...pixels]`. Rows may differ in length: each then gives the tokens it
   * gives alone. Default `[[SOS]]` × `batchSize`.
   */
  prompt?: readonly (readonly number[])[];
  /** Number of prompt rows when `prompt` is unset (default 1); must equal `prompt.length` otherwise. */
  batchSize?: number;
  /**
   * Called after every step. When it returns a promise, generation waits for it: in a browser,
   * `() => new Promise(requestAnimationFrame)` lets the page paint what the callback drew.
   */
  onToken?: (event: TokenEvent) => unknown;
  /** Called whenever a generated token completes an image row; a returned promise is awaited too. */
  onRow?: (event: RowEvent) => unknown;
  /** Checked before and after every decoder step; aborting rejects with an `AbortError`. */
  signal?: AbortSignalLike;
  /**
   * Return the scores of every step, as HF does: the raw logits when greedy, the warped scores
   * (temperature, top-k, top-p; removed tokens −Infinity) the token was sampled from when sampling.
   * Default false.
   */
  outputScores?: boolean;
}

/** What {@link generate} resolves to. */
export interface GenerateResult {
  /** `[B * numReturnSequences][maxLength]` token ids: prompt (SOS included) + generated pixels. */
  sequences: number[][];
  /**
   * With `outputScores`: per step, one `[B * numReturnSequences, vocabSize - 1]` matrix of the scores
   * each row's token was picked from (see {@link GenerateOptions.outputScores}); a row that is done
   * (a shorter task in a batch of prompts of different lengths) is NaN.
   */
  scores?: Float32Array[];
}
