import type { ImageGPTConfig } from '@imagegpt/config';
import type { KeyValueCache } from './kv-cache.js';
import { ModelInputError } from './model-input-error.js';

/** Checks that `rows` is a non-empty rectangle of integers in [min, max]; returns its width. */
export function checkIntegerRows(
  input: string,
  rows: readonly (readonly number[])[],
  min: number,
  max: number,
  what: string,
): number {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new ModelInputError(input, 'expected a non-empty array of rows');
  const width = rows[0]?.length ?? 0;
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) throw new ModelInputError(input, `row ${r} is not an array`);
    if (row.length !== width) {
      throw new ModelInputError(
        input,
        `row ${r} has ${row.length} entries but row 0 has ${width}; rows must have equal length (pad them and pass an attentionMask)`,
      );
    }
    row.forEach((v, c) => {
      if (!Number.isInteger(v) || v < min || v > max) {
        throw new ModelInputError(
          `${input}[${r}][${c}]`,
          `is ${String(v)}, expected ${what} in ${min}..${max}`,
        );
      }
    });
  });
  return width;
}

/** Checks a cache against the config and batch size; returns its length P (0 without a cache). */
export function checkPast(config: ImageGPTConfig, past: KeyValueCache | undefined, batch: number): number {
  if (past === undefined) return 0;
  const { nLayer, nHead: H, headDim: D } = config;
  const P = past.length;
  if (!Number.isInteger(P) || P < 0)
    throw new ModelInputError('past', `length is ${P}, expected a non-negative integer`);
  if (past.layers.length !== nLayer)
    throw new ModelInputError('past', `has ${past.layers.length} layers, expected n_layer = ${nLayer}`);
  const want = [batch, H, P, D];
  past.layers.forEach((layer, i) => {
    for (const [part, t] of [
      ['key', layer.key],
      ['value', layer.value],
    ] as const) {
      if (t.type !== 'float32' || t.dims.length !== 4 || t.dims.some((d, j) => d !== want[j])) {
        throw new ModelInputError(
          `past.layers[${i}].${part}`,
          `is ${t.type} [${t.dims.join(', ')}], expected float32 [${want.join(', ')}] (batch, n_head, past length, head_dim)`,
        );
      }
    }
  });
  return P;
}

/**
 * Checks the rows of a {@link Decoder.next} call: one per row of the batch, token ids in
 * 0..vocabSize−1, each row fitting after the tokens it holds (`lengths`) within `nPositions`, and
 * at least one token in all. Rows may differ in length, and a row may be empty. Returns each row's
 * token count.
 */
export function checkDecoderRows(
  tokens: readonly (readonly number[])[],
  batchSize: number,
  lengths: readonly number[],
  nPositions: number,
  vocabSize: number,
): number[] {
  if (!Array.isArray(tokens) || tokens.length !== batchSize) {
    throw new ModelInputError(
      'tokens',
      `has ${Array.isArray(tokens) ? tokens.length : 'no'} rows, expected batchSize = ${batchSize}`,
    );
  }
  const counts = tokens.map((row, r) => {
    if (!Array.isArray(row)) throw new ModelInputError('inputIds', `row ${r} is not an array`);
    row.forEach((v, c) => {
      if (!Number.isInteger(v) || v < 0 || v > vocabSize - 1) {
        throw new ModelInputError(
          `inputIds[${r}][${c}]`,
          `is ${String(v)}, expected a token id in 0..${vocabSize - 1}`,
        );
      }
    });
    const P = lengths[r] as number;
    if (P + row.length > nPositions) {
      throw new ModelInputError(
        r === 0 ? 'inputIds' : `inputIds[${r}]`,
        `${P > 0 ? `${P} cached + ` : ''}${row.length} tokens exceed n_positions = ${nPositions}`,
      );
    }
    return row.length;
  });
  if (counts.every((n) => n === 0))
    throw new ModelInputError('inputIds', 'rows are empty, expected at least one token per row');
  return counts;
}
