import { previewValue } from '@imagegpt/config/json';

/** What a {@link CheckpointError} knows about the fault; each part is optional because not every fault has one. */
export interface CheckpointErrorInfo {
  /** The file (or archive member) at fault, as the caller named it. */
  readonly file?: string;
  /** The tensor at fault. */
  readonly tensor?: string;
  /** One line per problem, when there are several (for example every mismatched tensor). */
  readonly details?: readonly string[];
}

/** Long lists are cut in the message; the full list stays in {@link CheckpointError.details}. */
const MAX_DETAIL_LINES = 20;

/**
 * Thrown when weights cannot be read or do not fit the model: a malformed or hostile file, an
 * unknown tensor name, a dtype that cannot be converted, missing or wrongly shaped tensors.
 * The message names the file and tensor; the same facts are properties for programs.
 *
 * @example
 * try { checkpoint.get('transformer.wte.weight'); }
 * catch (e) { if (e instanceof CheckpointError) console.log(e.file, e.tensor); }
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly file?: string;
  readonly tensor?: string;
  readonly details?: string[];

  constructor(message: string, info: CheckpointErrorInfo = {}, options?: ErrorOptions) {
    super(describe(message, info), options);
    if (info.file !== undefined) this.file = info.file;
    if (info.tensor !== undefined) this.tensor = info.tensor;
    if (info.details !== undefined) this.details = [...info.details];
  }
}

function describe(message: string, { file, tensor, details }: CheckpointErrorInfo): string {
  // A tensor name comes from the file and may be megabytes long: at most ~100 characters are quoted.
  const where = [file, tensor === undefined ? undefined : `tensor ${previewValue(tensor, 100)}`].filter(
    (x) => x !== undefined,
  );
  let text = where.length > 0 ? `${where.join(', ')}: ${message}` : message;
  if (details !== undefined && details.length > 0) {
    const shown = details.slice(0, MAX_DETAIL_LINES).map((line) => `\n  - ${line}`);
    const rest = details.length - shown.length;
    text += shown.join('') + (rest > 0 ? `\n  … and ${rest} more` : '');
  }
  return text;
}
