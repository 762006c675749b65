/** What a {@link HeadsError} knows about the fault. */
export interface HeadsErrorDetails {
  /** The file, checkpoint or argument at fault (for example `config.json` or `options.rows`). */
  readonly source?: string;
}

/**
 * Thrown by the task heads when an input or a checkpoint does not fit the task: an image the
 * model cannot take, pixel ids outside the palette, a causal checkpoint without `lm_head.weight`,
 * an option out of range. The message names the input or file and what was expected.
 *
 * @example
 * try { await lm.complete([ids], { rows: 99 }); }
 * catch (e) { if (e instanceof HeadsError) console.log(e.message); } // "options.rows: ... expected 0..15"
 */
export class HeadsError extends Error {
  override readonly name = 'HeadsError';
  /** The file or argument at fault, when known. */
  readonly source?: string;

  constructor(message: string, details: HeadsErrorDetails = {}, options?: ErrorOptions) {
    super(details.source === undefined ? message : `${details.source}: ${message}`, options);
    if (details.source !== undefined) this.source = details.source;
  }
}
