/**
 * Raised by the generation API for invalid options or prompts (always before any compute) and for a
 * decoder that breaks its contract (wrong batch size, wrong number of logits).
 *
 * `field` names the option at fault (`'prompt'`, `'maxLength'`, `'topP'`, ...).
 */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
  /** The option or input at fault, e.g. `'prompt[1][0]'`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}
