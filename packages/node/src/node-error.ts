/** What a {@link NodeError} knows about the fault. */
export interface NodeErrorDetails {
  /** The file or folder at fault, as the caller gave it or resolved. */
  readonly path?: string;
  /** The option or argument at fault (`offset`, `length`, …). */
  readonly field?: string;
  /** The value that was refused. */
  readonly value?: unknown;
}

/**
 * Thrown by `@imagegpt/node` when its input cannot be used: a model folder that does not exist
 * or is a file, a path that would leave the folder, a file that is missing, too large to read
 * whole or shorter than the range asked for, an argument out of range. The message names the
 * file, the field or the value at fault; so do the properties. (Bad image bytes are an
 * `ImageError`, bad model files a `CheckpointError` or `ConfigError`, wherever they are read.)
 *
 * @example
 * try { await ImageGPTForCausalImageModeling.fromPretrained('./igpt-smal'); }
 * catch (e) { if (e instanceof NodeError) console.log(`check the path: ${e.path}`); }
 */
export class NodeError extends Error {
  override readonly name: string = 'NodeError';
  /** The file or folder at fault, when there is one. */
  readonly path?: string;
  /** The option or argument at fault, when there is one. */
  readonly field?: string;
  /** The value that was refused, when there is one. */
  readonly value?: unknown;

  constructor(message: string, details: NodeErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    if (details.path !== undefined) this.path = details.path;
    if (details.field !== undefined) this.field = details.field;
    if (details.value !== undefined) this.value = details.value;
  }
}
