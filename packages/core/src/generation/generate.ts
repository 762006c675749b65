import type { Decoder } from '../model/index.js';
import { type AbortSignalLike, createAbortError } from './abort-error.js';
import { GenerationError } from './generation-error.js';
import { applyWarpers, validateWarperOptions } from './logits-warpers.js';
import { createRng, type Rng, randomSeed } from './rng.js';
import { argmaxRows, sampleRows } from './sampling.js';
import { softmaxRows } from './softmax.js';
import type { GenerateOptions, GenerateResult, GenerationConfigLike, GenerativeModel } from './types.js';

interface Plan {
  readonly sequences: number[][];
  /** The length each row grows to: `maxLength`, or its prompt's length plus `maxNewTokens`. */
  readonly targets: readonly number[];
  readonly rngs: readonly Rng[];
}

/**
 * The most rows (prompt rows × numReturnSequences) one call generates. Each row holds a KV cache of
 * 2 × n_layer × n_positions × n_embd floats (100 MB for iGPT-small), so a larger batch is a typo.
 */
export const MAX_GENERATION_ROWS = 4096;

function checkInteger(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new GenerationError(field, `expected an integer ${range}, got ${value}`);
  }
}

function checkConfig(config: GenerationConfigLike): void {
  checkInteger('config.vocabSize', config.vocabSize, 2);
  checkInteger('config.nPositions', config.nPositions, 1);
}

/** Checks every prompt row (SOS first, pixel ids after it, at most a whole image); returns their lengths. */
function checkPrompt(prompt: readonly (readonly number[])[], config: GenerationConfigLike): number[] {
  const sos = config.vocabSize - 1;
  if (prompt.length === 0) throw new GenerationError('prompt', 'expected at least one row');
  const fullLength = config.nPositions + 1;
  return prompt.map((row, r) => {
    if (!Array.isArray(row)) throw new GenerationError(`prompt[${r}]`, 'expected an array of token ids');
    if (row.length === 0 || row[0] !== sos) {
      throw new GenerationError(
        `prompt[${r}][0]`,
        `every row must start with the SOS token ${sos}, got ${row[0]}`,
      );
    }
    if (row.length > fullLength) {
      throw new GenerationError(
        `prompt[${r}]`,
        `has ${row.length} tokens but an image holds at most ${fullLength} (SOS + ${config.nPositions} pixels)`,
      );
    }
    for (let i = 1; i < row.length; i++) {
      const id = row[i] as number;
      if (id === sos) {
        throw new GenerationError(`prompt[${r}][${i}]`, `SOS (${sos}) may only appear at position 0`);
      }
      if (!Number.isInteger(id) || id < 0 || id > sos - 1) {
        throw new GenerationError(`prompt[${r}][${i}]`, `expected a pixel id in [0, ${sos - 1}], got ${id}`);
      }
    }
    return row.length;
  });
}

/** Validates everything and builds the initial state, so that nothing runs on bad input. */
function plan(config: GenerationConfigLike, options: GenerateOptions): Plan {
  checkConfig(config);
  const sos = config.vocabSize - 1;
  const fullLength = config.nPositions + 1;
  const maxLength = options.maxLength ?? fullLength;
  checkInteger('maxLength', maxLength, 1, fullLength);
  const { maxNewTokens } = options;
  if (maxNewTokens !== undefined && maxNewTokens !== null) checkInteger('maxNewTokens', maxNewTokens, 0);
  const numReturnSequences = options.numReturnSequences ?? 1;
  checkInteger('numReturnSequences', numReturnSequences, 1);
  if (numReturnSequences > 1 && options.doSample !== true) {
    throw new GenerationError(
      'numReturnSequences',
      'must be 1 for greedy decoding (set doSample: true), as in HF',
    );
  }
  if (options.batchSize !== undefined) checkInteger('batchSize', options.batchSize, 1);
  // Bounded before any row is built, so a typo cannot allocate a hundred million arrays.
  const promptRows = options.prompt?.length ?? options.batchSize ?? 1;
  const rows = promptRows * numReturnSequences;
  if (rows > MAX_GENERATION_ROWS) {
    throw new GenerationError(
      'batchSize',
      `${promptRows} prompt rows × ${numReturnSequences} sequences is ${rows} rows, over ${MAX_GENERATION_ROWS} in one call; ` +
        'generate in several calls (firstStream keeps the samples the same)',
    );
  }
  const prompt = options.prompt ?? Array.from({ length: options.batchSize ?? 1 }, () => [sos]);
  if (options.batchSize !== undefined && options.batchSize !== prompt.length) {
    throw new GenerationError(
      'batchSize',
      `is ${options.batchSize} but the prompt has ${prompt.length} rows`,
    );
  }
  const lengths = checkPrompt(prompt, config);
  // HF: max_new_tokens, when set, wins over max_length; either way a row stops at a whole image.
  const targets = lengths.map((length, r) => {
    if (maxNewTokens === undefined || maxNewTokens === null) {
      if (length > maxLength) {
        throw new GenerationError(`prompt[${r}]`, `has ${length} tokens, longer than maxLength ${maxLength}`);
      }
      return maxLength;
    }
    if (length + maxNewTokens > fullLength) {
      throw new GenerationError(
        'maxNewTokens',
        `prompt[${r}] has ${length} tokens; ${maxNewTokens} more exceed a whole image of ${fullLength} (SOS + ${config.nPositions} pixels)`,
      );
    }
    return length + maxNewTokens;
  });
  if (options.onRow !== undefined) checkInteger('config.imageSide', config.imageSide ?? Number.NaN, 1);
  const sequences = prompt.flatMap((row) => Array.from({ length: numReturnSequences }, () => [...row]));
  const rowTargets = targets.flatMap((target) => new Array<number>(numReturnSequences).fill(target));
  let rngs: Rng[] = [];
  if (options.doSample === true) {
    validateWarperOptions(options);
    const seed = options.seed ?? randomSeed();
    const first = options.firstStream ?? 0;
    checkInteger('firstStream', first, 0);
    rngs = sequences.map((_, b) => createRng(seed, first + b));
  }
  return { sequences, targets: rowTargets, rngs };
}

/** HF's `GenerationConfig.top_k` default, applied when sampling without an explicit `topK`. */
export const DEFAULT_TOP_K = 50;

/** Rejects like `fetch` does: with the signal's reason (an `AbortError` unless the caller gave one). */
function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted === true) throw signal.reason ?? createAbortError();
}

/**
 * Generates images token by token with a KV-cached decoder, like HF's `generate` for ImageGPT:
 * greedy by default, or sampling with `doSample` (Temperature → TopK → TopP, then a seeded inverse-CDF
 * draw per row, see `sampleIndex` and `createRng`; row `b` uses stream `b` of the seed).
 *
 * Prompt rows may differ in length: each row then grows as it would alone (to `maxLength`, or by
 * `maxNewTokens`) and gives the tokens it gives alone, in one batch.
 *
 * All options are validated before the decoder is created. The first decoder call receives the whole
 * prompt, every later call the newest token of each row still growing (`[]` for a row that is done);
 * the last generated token is never fed back. The decoder is always disposed, also on error or abort.
 *
 * @example
 * const { sequences } = await generate(runner, { doSample: true, topK: 40, seed: 7, batchSize: 4 });
 * // sequences: 4 rows of nPositions + 1 ids, SOS first
 */
export async function generate(
  model: GenerativeModel,
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  const state = plan(model.config, options);
  throwIfAborted(options.signal);
  const scores: Float32Array[] = [];
  if (state.sequences.some((s, b) => s.length < (state.targets[b] as number))) {
    const decoder = model.createDecoder(state.sequences.length);
    try {
      await decode(decoder, model.config, state, options, scores);
    } catch (error) {
      try {
        decoder.dispose();
      } catch {
        // The generation error says more than a failure to clean up after it.
      }
      throw error;
    }
    decoder.dispose();
  }
  return options.outputScores === true
    ? { sequences: state.sequences, scores }
    : { sequences: state.sequences };
}

/**
 * The token loop: each row's whole prompt first, then each growing row's newest token (a row that is
 * done gets none); the last token is never fed.
 */
async function decode(
  decoder: Decoder,
  config: GenerationConfigLike,
  { sequences, targets, rngs }: Plan,
  options: GenerateOptions,
  scores: Float32Array[],
): Promise<void> {
  const { signal, onToken, onRow, outputScores = false } = options;
  // HF's GenerationConfig samples with top_k = 50 unless told otherwise; 0 or null turns it off.
  const warpers = { ...options, topK: options.topK === undefined ? DEFAULT_TOP_K : options.topK };
  const batch = sequences.length;
  const columns = config.vocabSize - 1;
  if (decoder.batchSize !== batch) {
    throw new GenerationError(
      'decoder',
      `createDecoder(${batch}) returned a decoder of batch size ${decoder.batchSize}`,
    );
  }
  const growing = (b: number) => (sequences[b] as number[]).length < (targets[b] as number);
  let feed: readonly (readonly number[])[] = sequences.map((s, b) => (growing(b) ? s : []));
  for (let step = 0; ; step++) {
    const active = sequences.flatMap((_, b) => (growing(b) ? [b] : []));
    if (active.length === 0) break;
    throwIfAborted(signal);
    const logits = await decoder.next(feed);
    throwIfAborted(signal);
    if (logits.length !== batch * columns) {
      throw new GenerationError(
        'decoder',
        `next() returned ${logits.length} logits, expected ${batch} × ${columns}`,
      );
    }
    // Rows that are done are left out: their logits are not a model's (HF's processed scores are
    // the rows it samples from).
    const rows = active.length === batch ? logits : gatherRows(logits, active, columns);
    const warped = rngs.length > 0 ? applyWarpers(rows, active.length, warpers) : rows;
    const picked =
      rngs.length > 0
        ? sampleRows(
            softmaxRows(warped, active.length),
            active.length,
            active.map((b) => rngs[b] as Rng),
          )
        : argmaxRows(rows, active.length);
    if (outputScores) {
      // HF returns the scores it picks from: the raw logits when greedy, the warped ones when sampling.
      const full = active.length === batch ? warped : scatterRows(warped, active, batch, columns);
      scores.push(full === logits ? Float32Array.from(full) : full);
    }
    const tokens = new Array<number>(batch).fill(-1);
    const positions = new Array<number>(batch).fill(-1);
    active.forEach((b, i) => {
      const row = sequences[b] as number[];
      positions[b] = row.length;
      tokens[b] = picked[i] as number;
      row.push(picked[i] as number);
    });
    // A callback that returns a promise holds generation until it settles (a browser page can let
    // itself paint); a plain one costs no extra turn of the event loop.
    const tokenDone = onToken?.({ step, position: Math.max(...positions), positions, tokens, sequences });
    if (isThenable(tokenDone)) await tokenDone;
    const side = config.imageSide;
    if (onRow !== undefined && side !== undefined) {
      // Rows of different prompts complete different image rows in one step: one event per image row.
      const completed = new Map<number, number[]>();
      for (const b of active) {
        const position = positions[b] as number;
        if (position % side === 0)
          completed.set(position / side - 1, [...(completed.get(position / side - 1) ?? []), b]);
      }
      for (const [row, rowSequences] of completed) {
        const rowDone = onRow({ row, pixels: sequences.map((s) => s.slice(1)), sequences: rowSequences });
        if (isThenable(rowDone)) await rowDone;
      }
    }
    feed = sequences.map((_, b) => (tokens[b] !== -1 && growing(b) ? [tokens[b] as number] : []));
  }
}

/** The `rows` of a [B, columns] matrix, in order, as a [rows.length, columns] matrix. */
function gatherRows(matrix: Float32Array, rows: readonly number[], columns: number): Float32Array {
  const out = new Float32Array(rows.length * columns);
  for (const [i, b] of rows.entries()) out.set(matrix.subarray(b * columns, (b + 1) * columns), i * columns);
  return out;
}

/** A [rows.length, columns] matrix back in a [batch, columns] one; the other rows are NaN. */
function scatterRows(
  matrix: Float32Array,
  rows: readonly number[],
  batch: number,
  columns: number,
): Float32Array {
  const out = new Float32Array(batch * columns).fill(Number.NaN);
  for (const [i, b] of rows.entries()) out.set(matrix.subarray(i * columns, (i + 1) * columns), b * columns);
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
