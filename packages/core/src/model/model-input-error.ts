/**
 * Thrown before any compute when model inputs cannot be run: token ids out of range, ragged rows,
 * a sequence longer than `n_positions`, a mask or position ids of the wrong shape, a cache that
 * does not fit. `input` names the argument at fault.
 *
 * @example
 * await runner.forward([[16, 99]]); // ModelInputError: inputIds[0][1] is 99, expected a token id in 0..16
 */
export class ModelInputError extends Error {
  override readonly name = 'ModelInputError';

  constructor(
    /** The argument at fault: `inputIds`, `attentionMask`, `positionIds`, `past`, `tokens`, `batchSize`. */
    readonly input: string,
    message: string,
  ) {
    super(`${input}: ${message}`);
  }
}
