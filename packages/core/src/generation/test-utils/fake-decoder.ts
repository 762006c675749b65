import type { Decoder } from '../../model/index.js';
import type { GenerationConfigLike, GenerativeModel } from '../types.js';

/** 32-bit FNV-1a style hash of a token sequence, the fake model's only "weights". */
function hashSequence(tokens: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const t of tokens) h = Math.imul(h ^ (t + 1), 0x01000193);
  return h >>> 0;
}

/** Deterministic pseudo-logits in [-3, 3) for column `j` after `tokens`. */
export function fakeLogit(tokens: readonly number[], j: number): number {
  let h = Math.imul(hashSequence(tokens) ^ Math.imul(j + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 8) / 2 ** 24) * 6 - 3;
}

/** Everything the fake saw, for assertions. */
export interface FakeLog {
  created: number[];
  calls: number[][][];
  disposed: number;
}

/**
 * A model whose decoder keeps each row's tokens (like a KV cache would) and returns logits derived from
 * them. `logitsFor` overrides the hash-based logits, e.g. with a fixed distribution.
 */
export function fakeModel(
  config: GenerationConfigLike,
  logitsFor: (tokens: readonly number[], columns: number) => ArrayLike<number> = (tokens, columns) =>
    Array.from({ length: columns }, (_, j) => fakeLogit(tokens, j)),
  hooks: { onNext?: (call: number) => void } = {},
): { model: GenerativeModel; log: FakeLog } {
  const log: FakeLog = { created: [], calls: [], disposed: 0 };
  const columns = config.vocabSize - 1;
  const model: GenerativeModel = {
    config,
    createDecoder(batchSize: number): Decoder {
      log.created.push(batchSize);
      const rows: number[][] = Array.from({ length: batchSize }, () => []);
      return {
        batchSize,
        get length() {
          return (rows[0] as number[]).length;
        },
        async next(tokens) {
          log.calls.push(tokens.map((row) => [...row]));
          hooks.onNext?.(log.calls.length);
          if (tokens.length !== batchSize) throw new Error(`fake decoder: expected ${batchSize} rows`);
          const out = new Float32Array(batchSize * columns);
          tokens.forEach((row, b) => {
            const seq = rows[b] as number[];
            seq.push(...row);
            if (seq.length > config.nPositions)
              throw new Error('fake decoder: sequence longer than nPositions');
            out.set(Array.from(logitsFor(seq, columns)), b * columns);
          });
          await Promise.resolve();
          return out;
        },
        dispose() {
          log.disposed++;
        },
      };
    },
  };
  return { model, log };
}
