import { previewValue } from '@imagegpt/config/json';

/** What a {@link ProcessorConfigError} knows about the fault; every part is optional. */
export interface ProcessorConfigErrorDetails {
  /** The file (or other source) the preprocessor config came from. */
  readonly file?: string;
  /** The key at fault, e.g. `clusters` or `size.height`. */
  readonly field?: string;
  /** The offending value. */
  readonly value?: unknown;
  /** What would have been accepted, in words. */
  readonly expected?: string;
}

/**
 * Thrown when a `preprocessor_config.json` (or a palette given in code) cannot be used: wrong
 * types, clusters that are not k×3 finite numbers, an unsupported `resample`, a bad `size`.
 * Shaped like `@imagegpt/config`'s `ConfigError` (file, field, value, expected) so callers can
 * report both the same way.
 *
 * @example
 * try { ImageGPTImageProcessor.fromJSON({ clusters: [[0, 0]] }, 'preprocessor_config.json'); }
 * catch (e) { if (e instanceof ProcessorConfigError) console.log(e.field); } // "clusters[0]"
 */
export class ProcessorConfigError extends Error {
  override readonly name = 'ProcessorConfigError';
  readonly file?: string;
  readonly field?: string;
  readonly value?: unknown;
  readonly expected?: string;

  constructor(message: string, details: ProcessorConfigErrorDetails = {}, options?: ErrorOptions) {
    super(describe(message, details), options);
    if (details.file !== undefined) this.file = details.file;
    if (details.field !== undefined) this.field = details.field;
    if ('value' in details) this.value = details.value;
    if (details.expected !== undefined) this.expected = details.expected;
  }
}

function describe(message: string, { file, field, value, expected }: ProcessorConfigErrorDetails): string {
  const where = file === undefined ? 'image processor config' : `image processor config in ${file}`;
  // "<where>: <message>: "<field>" is <value>; expected <words>", each part only when known.
  const what = field === undefined ? '' : `: "${field}" is ${show(value)}`;
  const want = expected === undefined ? '' : `${field === undefined ? ':' : ';'} expected ${expected}`;
  return `${where}: ${message}${what}${want}`;
}

/** Long or deeply nested values (a whole cluster list) would drown the message, so they are cut. */
function show(value: unknown): string {
  return value === undefined ? 'missing' : previewValue(value, 80);
}
