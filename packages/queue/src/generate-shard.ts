import { type ImageGPTForCausalImageModeling, readRegularFile } from '@imagegpt/node';
import { QueueError } from './queue-error.js';

/** The sampling settings of a generation run: HF `generate`'s names and defaults. */
export interface SamplingSpec {
  /** Argmax decoding instead of sampling. */
  readonly greedy: boolean;
  readonly temperature: number;
  /** Keep the k most likely tokens; 0 keeps all. */
  readonly topK: number;
  readonly topP?: number;
}

/** What one generation shard computes: rows `[first, first + count)` of a run with one seed. */
export interface GenerateShardSpec {
  readonly sampling: SamplingSpec;
  readonly seed: number;
  /** The run's row this shard starts at; row r draws from random stream r of the seed. */
  readonly first: number;
  readonly count: number;
  /** Rows generated together; does not change the rows. */
  readonly batch: number;
}

/**
 * The per-shard function of `igpt generate`, the same for one process and for a queue worker: the
 * pixel tokens (no SOS) of rows `first … first + count − 1`. Row r draws from random stream r of
 * the seed (`firstStream`), so the rows do not depend on how the run is split into shards or
 * batches. `onTokens` hears, after every token step, how many rows of the shard are done before the
 * current batch, the batch's rows and the step.
 */
export async function generateShard(
  model: ImageGPTForCausalImageModeling,
  spec: GenerateShardSpec,
  onTokens?: (e: { rowsDone: number; batchRows: number; step: number }) => void,
): Promise<number[][]> {
  const { sampling } = spec;
  const sequences: number[][] = [];
  for (let done = 0; done < spec.count; ) {
    const count = Math.min(spec.batch, spec.count - done);
    const result = await model.generate({
      doSample: !sampling.greedy,
      temperature: sampling.temperature,
      topK: sampling.topK,
      topP: sampling.topP,
      seed: spec.seed,
      firstStream: spec.first + done,
      batchSize: count,
      onToken: (e) => onTokens?.({ rowsDone: done, batchRows: count, step: e.step }),
    });
    sequences.push(...result.sequences.map((s) => s.slice(1)));
    done += count;
  }
  return sequences;
}

/** A generation shard file's text: the job id, the first row and the rows' tokens. */
export function encodeGenerateShard(
  tokens: readonly (readonly number[])[],
  first: number,
  job: string,
): string {
  return `${JSON.stringify({ job, first, tokens })}\n`;
}

/**
 * Reads a generation shard file back, checking that it is the shard expected (job id, first row,
 * row count); the error names the file and says what to do.
 */
export async function readGenerateShard(
  path: string,
  expected: { job: string; first: number; count: number },
): Promise<number[][]> {
  const fail = (why: string) =>
    new QueueError(`shard file ${path}: ${why}; delete it and run again to recompute that shard`);
  let parsed: { job?: unknown; first?: unknown; tokens?: unknown };
  try {
    // A regular file only (the library's reading policy): a FIFO put in its place is refused.
    parsed = JSON.parse(new TextDecoder().decode(await readRegularFile(path))) as typeof parsed;
  } catch (e) {
    throw fail(`cannot read (${(e as Error).message})`);
  }
  if (parsed.job !== expected.job)
    throw fail(`written for job ${String(parsed.job)}, expected ${expected.job}`);
  const { tokens } = parsed;
  if (
    parsed.first !== expected.first ||
    !Array.isArray(tokens) ||
    tokens.length !== expected.count ||
    !tokens.every((row) => Array.isArray(row) && row.every(Number.isInteger))
  )
    throw fail(`expected ${expected.count} rows of token ids from row ${expected.first}`);
  return tokens as number[][];
}
