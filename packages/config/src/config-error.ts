import { previewValue } from './preview-value.js';

/** What a {@link ConfigError} knows about the fault; every part is optional because not every fault has one. */
export interface ConfigErrorDetails {
  /** The file (or other source) the config came from. */
  readonly file?: string;
  /** The config key at fault, as spelled in the input (for example `hidden_size` when that alias was used). */
  readonly field?: string;
  /** The offending value. */
  readonly value?: unknown;
  /** What would have been accepted, in words. */
  readonly expected?: string;
}

/**
 * Thrown when an ImageGPT config cannot be read: not JSON, wrong types, or inconsistent sizes.
 * The message names the file, the field, the value and what was expected, and the same facts are
 * available as properties for programs.
 *
 * @example
 * try { ImageGPTConfig.fromJSON({ n_embd: 100, n_head: 8 }, 'config.json'); }
 * catch (e) { if (e instanceof ConfigError) console.log(e.field); } // "n_embd"
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file?: string;
  readonly field?: string;
  readonly value?: unknown;
  readonly expected?: string;

  constructor(details: ConfigErrorDetails, options?: ErrorOptions) {
    super(describe(details), options);
    if (details.file !== undefined) this.file = details.file;
    if (details.field !== undefined) this.field = details.field;
    if ('value' in details) this.value = details.value;
    if (details.expected !== undefined) this.expected = details.expected;
  }
}

function describe({ file, field, value, expected }: ConfigErrorDetails): string {
  const where = file === undefined ? 'ImageGPT config' : `ImageGPT config in ${file}`;
  const what = field === undefined ? '' : `"${field}" is ${show(value)}, `;
  return `${where}: ${what}expected ${expected ?? 'a valid value'}`;
}

/** Long or deeply nested values (a whole pasted object) would drown the message, so they are cut. */
function show(value: unknown): string {
  return value === undefined ? 'missing' : previewValue(value, 80);
}
