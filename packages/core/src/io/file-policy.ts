import { canReadRanges, type FileSource, fileLocation } from './file-source.js';

/**
 * The sizes the library accepts, per kind of file, known before anything is read. Every reader of a
 * model folder (Node and the browser alike, and every `igpt` command) applies them through
 * {@link readFileWithin}, the checkpoint readers and the image decoders; each can be raised (or
 * lowered) per call, e.g. `fromPretrained(dir, { limits: { maxJsonBytes: 64 * 2 ** 20 } })`.
 */
export interface FileLimits {
  /**
   * The most bytes of a JSON file: `config.json`, `preprocessor_config.json`,
   * `generation_config.json` and the index of a sharded checkpoint (`*.index.json`). Real ones are
   * a few kilobytes (an index of a large model some hundreds).
   */
  readonly maxJsonBytes: number;
  /** The most bytes of a safetensors file's JSON header: 100 MB, as the format itself specifies. */
  readonly maxSafetensorsHeaderBytes: number;
  /**
   * The most entries (tensors and `__metadata__` keys) one safetensors header may list. Each costs
   * a few hundred bytes of memory once read, so this bounds what a header can make the reader
   * build; a real model has a few thousand tensors.
   */
  readonly maxSafetensorsEntries: number;
  /**
   * The most bytes `data.pkl` of a PyTorch checkpoint may hold once expanded. Torch writes about
   * 100 bytes per tensor, and each byte can make the unpickler allocate tens.
   */
  readonly maxPickleBytes: number;
}

/** The limits every reader applies unless told otherwise (frozen: pass `limits` to change one). */
export const DEFAULT_FILE_LIMITS: FileLimits = Object.freeze({
  maxJsonBytes: 16 * 1024 * 1024,
  maxSafetensorsHeaderBytes: 100_000_000,
  maxSafetensorsEntries: 200_000,
  maxPickleBytes: 16 * 1024 * 1024,
});

/** `limits` over the defaults: what a reader uses. */
export function fileLimits(limits: Partial<FileLimits> = {}): FileLimits {
  return { ...DEFAULT_FILE_LIMITS, ...limits };
}

/** Which rule of the reading policy refused a file. */
export type FilePolicyRule =
  /** More bytes than its kind allows. */
  | 'size'
  /** Not a regular file: a FIFO, a device, a socket, a folder. */
  | 'kind'
  /** A symbolic link whose real path leaves the model folder (and the hub cache's blobs). */
  | 'link';

/** What a {@link FilePolicyError} knows. */
export interface FilePolicyErrorDetails {
  /** The file, as the source locates it. */
  readonly file: string;
  readonly rule: FilePolicyRule;
  /** For `size`: the limit, in bytes. */
  readonly limit?: number;
  /** For `size`: the file's size, or the bytes that arrived before the read stopped. */
  readonly size?: number;
  /** For `link`: where the link leads. */
  readonly target?: string;
}

/**
 * Thrown when the file-reading policy refuses a file before (or while) reading it: larger than its
 * kind allows, not a regular file, or a link that leads out of the model folder. The message is one
 * line naming the file and the rule, and, for sizes, which {@link FileLimits} field raises it.
 *
 * @example
 * try { await model.fromPretrained('./m'); }
 * catch (e) { if (e instanceof FilePolicyError && e.rule === 'size') console.log(e.limit); }
 */
export class FilePolicyError extends Error {
  override readonly name = 'FilePolicyError';
  readonly file: string;
  readonly rule: FilePolicyRule;
  readonly limit?: number;
  readonly size?: number;
  readonly target?: string;

  constructor(message: string, details: FilePolicyErrorDetails, options?: ErrorOptions) {
    super(`${details.file}: ${message}`, options);
    this.file = details.file;
    this.rule = details.rule;
    if (details.limit !== undefined) this.limit = details.limit;
    if (details.size !== undefined) this.size = details.size;
    if (details.target !== undefined) this.target = details.target;
  }
}

/**
 * The size cap for reading `path` whole, by its name: JSON files get
 * {@link FileLimits.maxJsonBytes}; weights (whose readers bound what they read from the format)
 * and anything else get none.
 */
export function maxReadBytes(path: string, limits: FileLimits = DEFAULT_FILE_LIMITS): number | undefined {
  return path.toLowerCase().endsWith('.json') ? limits.maxJsonBytes : undefined;
}

/** The refusal of a file of `size` bytes over `limit`, naming the field that raises it. */
export function tooLarge(
  file: string,
  size: number,
  limit: number,
  field: keyof FileLimits,
): FilePolicyError {
  return new FilePolicyError(
    `${size} bytes, over the limit of ${limit} for this kind of file (FileLimits.${field}; a real one is far smaller)`,
    { file, rule: 'size', limit, size },
  );
}

/** Options of {@link readFileWithin}. */
export interface ReadFileWithinOptions {
  /** The limits to apply; {@link DEFAULT_FILE_LIMITS} for what is not given. */
  readonly limits?: Partial<FileLimits>;
  /** Called as bytes arrive. */
  readonly onProgress?: (loaded: number, total: number | undefined) => void;
}

/**
 * Reads `path` of `files` whole under the policy: a JSON file over {@link FileLimits.maxJsonBytes}
 * is refused with a {@link FilePolicyError} before a byte is read when the source knows sizes, and
 * otherwise as soon as the bytes arriving pass the cap (sources that honour
 * `FileSource.read`'s `maxBytes`: node's and the browser's); a source that ignores it is still
 * refused once its bytes are in.
 *
 * @example
 * const text = new TextDecoder().decode(await readFileWithin(files, 'config.json'));
 */
export async function readFileWithin(
  files: FileSource,
  path: string,
  options: ReadFileWithinOptions = {},
): Promise<Uint8Array> {
  const maxBytes = maxReadBytes(path, fileLimits(options.limits));
  if (maxBytes === undefined) return files.read(path, options.onProgress);
  const file = fileLocation(files, path);
  if (canReadRanges(files)) {
    const size = await files.size(path);
    if (size > maxBytes) throw tooLarge(file, size, maxBytes, 'maxJsonBytes');
  }
  const bytes = await files.read(path, options.onProgress, { maxBytes });
  if (bytes.length > maxBytes) throw tooLarge(file, bytes.length, maxBytes, 'maxJsonBytes');
  return bytes;
}

/**
 * The text of a JSON file (UTF-8, a leading byte-order mark dropped) read with
 * {@link readFileWithin}: what `config.json` and its siblings are parsed from.
 */
export async function readJsonText(
  files: FileSource,
  path: string,
  options: ReadFileWithinOptions = {},
): Promise<string> {
  return new TextDecoder().decode(await readFileWithin(files, path, options));
}

/**
 * Where the links of a Hugging Face hub cache snapshot lead: for a model folder inside
 * `…/models--org--name/snapshots/<revision>/`, the repository's `…/models--org--name/blobs`
 * folder (Python's `huggingface_hub` stores each file once there and links it from every snapshot
 * as `../../blobs/<hash>`). Undefined for any other folder. Node's file source lets links lead
 * there as well as inside the model folder.
 *
 * @example
 * hubCacheBlobsDir('/home/me/.cache/huggingface/hub/models--openai--imagegpt-small/snapshots/abc123');
 * // '/home/me/.cache/huggingface/hub/models--openai--imagegpt-small/blobs'
 */
export function hubCacheBlobsDir(folder: string): string | undefined {
  const match = /^(.*[\\/](?:models|datasets|spaces)--[^\\/]+)([\\/])snapshots\2[^\\/]+(?:\2.*)?$/.exec(
    folder,
  );
  if (match === null) return undefined;
  const [, repo, separator] = match as unknown as [string, string, string];
  return `${repo}${separator}blobs`;
}
