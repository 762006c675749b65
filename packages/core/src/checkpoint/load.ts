import { type FileLimits, FilePolicyError, readJsonText } from '../io/file-policy.js';
import { canReadRanges, type FileSource, fileLocation, type RangedFileSource } from '../io/file-source.js';
import { Checkpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { readPytorchBin } from './pytorch-zip.js';
import { type ByteRangeReader, readSafetensors, readSafetensorsByRange } from './safetensors.js';
import { readShardIndex, WEIGHT_FILES } from './weight-files.js';

// FileSource lives in io/ now; re-exported so imports of it from here keep working.
export type { FileSource } from '../io/file-source.js';

/** Progress of one file during {@link loadCheckpoint}. */
export interface LoadProgress {
  /** Path of the file within the source. */
  readonly file: string;
  readonly loaded: number;
  readonly total?: number;
}

/**
 * A checkpoint's file format as Hugging Face writes it: `safetensors` (`model.safetensors`) or
 * `bin` (PyTorch's `pytorch_model.bin`), each possibly sharded.
 */
export type WeightFormat = 'safetensors' | 'bin';

/** Every {@link WeightFormat}, in the order {@link loadCheckpoint} looks for them by default. */
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['safetensors', 'bin'];

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Which format to look for first when a folder has both; default `'safetensors'`. */
  readonly prefer?: WeightFormat;
  /**
   * The only formats to look for (in {@link WEIGHT_FORMATS} order unless `prefer` says otherwise);
   * default all. `igpt conformance --weights bin` passes `['bin']` so a case's safetensors file
   * cannot stand in for the format under test.
   */
  readonly formats?: readonly WeightFormat[];
  /**
   * Called as each file's bytes arrive: per chunk for whole-file reads, per tensor when a
   * safetensors file is read by range, once when its tensors are left in a local file
   * ({@link FileSource.localFile}). The last call for a file has `loaded === total`.
   */
  readonly onProgress?: (info: LoadProgress) => void;
  /** Limits on the files read (index size, safetensors header, `data.pkl`); see `DEFAULT_FILE_LIMITS`. */
  readonly limits?: Partial<FileLimits>;
}

/** The files Hugging Face writes, single-file before sharded, as `from_pretrained` looks for them. */
function candidatesOf(format: WeightFormat): { path: string; sharded: boolean }[] {
  const { single, index } = WEIGHT_FILES[format];
  return [
    { path: single, sharded: false },
    { path: index, sharded: true },
  ];
}

/**
 * Loads the weights of a Hugging Face model folder: `model.safetensors`, a sharded
 * `model.safetensors.index.json` (its `weight_map` names the shard of every tensor),
 * `pytorch_model.bin` or `pytorch_model.bin.index.json`, safetensors first unless `prefer: 'bin'`.
 *
 * @example
 * const ckpt = await loadCheckpoint(files, { onProgress: ({ file, loaded, total }) => console.log(file, loaded, total) });
 */
export async function loadCheckpoint(
  files: FileSource,
  options: LoadCheckpointOptions = {},
): Promise<Checkpoint> {
  const { path, sharded, format } = await findWeights(files, options.prefer, options.formats);
  return sharded ? loadSharded(files, path, format, options) : loadFile(files, path, format, options);
}

/**
 * The weights file of a folder as `from_pretrained` looks for it: the first candidate present,
 * `prefer` first, among `only` (default every format).
 */
export async function findWeights(
  files: FileSource,
  prefer: WeightFormat | undefined,
  only?: readonly WeightFormat[],
): Promise<{ path: string; sharded: boolean; format: WeightFormat }> {
  // The preferred format first, the rest in their default order (a stable sort keeps it).
  const formats = weightFormatOrder(prefer, only);
  const candidates = formats.flatMap((format) =>
    candidatesOf(format).map((candidate) => ({ ...candidate, format })),
  );
  for (const candidate of candidates) if (await files.exists(candidate.path)) return candidate;
  throw new CheckpointError(`no checkpoint found; looked for ${candidates.map((c) => c.path).join(', ')}`, {
    file: files.location,
  });
}

/**
 * The weight formats to look for, in order: `prefer` first, then the rest of `formats` (default
 * {@link WEIGHT_FORMATS}) in their default order.
 */
export function weightFormatOrder(
  prefer?: WeightFormat,
  formats: readonly WeightFormat[] = WEIGHT_FORMATS,
): WeightFormat[] {
  // A stable sort keeps the default order behind the preferred format.
  return WEIGHT_FORMATS.filter((f) => formats.includes(f)).sort(
    (a, b) => Number(b === prefer) - Number(a === prefer),
  );
}

/** One checkpoint file: safetensors by range when the source allows it, otherwise read whole. */
export async function loadFile(
  files: FileSource,
  path: string,
  format: WeightFormat,
  options: LoadCheckpointOptions,
): Promise<Checkpoint> {
  const source = fileLocation(files, path);
  const limits = options.limits ?? {};
  if (format === 'safetensors' && canReadRanges(files)) {
    const { onProgress } = options;
    return readSafetensorsByRange(await rangeReader(files, path), {
      source,
      limits,
      ...(files.localFile !== undefined && { local: await files.localFile(path) }),
      ...(onProgress && {
        onProgress: (loaded: number, total: number) => onProgress({ file: path, loaded, total }),
      }),
    });
  }
  if (format === 'bin' && canReadRanges(files)) await checkZipSignature(files, path);
  const bytes = await read(files, path, options);
  return format === 'safetensors'
    ? readSafetensors(bytes, { source, limits })
    : readPytorchBin(bytes, { source, limits });
}

/**
 * Reads the first bytes of a `.bin` file before the whole of it, which the zip reader needs in
 * memory: a file that is not a zip (a sparse file of zeros, say) is refused without reading
 * gigabytes. `readPytorchBin` says what the file is instead.
 */
async function checkZipSignature(files: RangedFileSource, path: string): Promise<void> {
  const size = await readOrFail(files, path, () => files.size(path));
  if (size < 4) return;
  const head = await readOrFail(files, path, () => files.readRange(path, 0, 4));
  // "PK" is a zip; a pickle's PROTO (0x80) is the pre-1.6 format, read whole like the zip.
  if (head[0] !== 0x80 && (head[0] !== 0x50 || head[1] !== 0x4b))
    readPytorchBin(head, { source: fileLocation(files, path) });
}

/** A {@link ByteRangeReader} over one file of a source; its failures name the file. */
export async function rangeReader(files: RangedFileSource, path: string): Promise<ByteRangeReader> {
  const size = await readOrFail(files, path, () => files.size(path));
  return {
    size,
    read: (offset, length) => readOrFail(files, path, () => files.readRange(path, offset, length)),
  };
}

/** The whole file through the source, progress reported, its failures naming the file. */
export async function read(
  files: FileSource,
  path: string,
  options: LoadCheckpointOptions,
): Promise<Uint8Array> {
  const { onProgress } = options;
  return readOrFail(files, path, () =>
    files.read(
      path,
      onProgress &&
        ((loaded, total) =>
          onProgress(total === undefined ? { file: path, loaded } : { file: path, loaded, total })),
    ),
  );
}

/** Runs one access to `path`, turning a source's own errors into a CheckpointError naming the file. */
async function readOrFail<T>(files: FileSource, path: string, access: () => Promise<T>): Promise<T> {
  try {
    return await access();
  } catch (error) {
    // The reading policy's refusals already name the file and the rule.
    if (error instanceof CheckpointError || error instanceof FilePolicyError) throw error;
    throw new CheckpointError(
      `could not be read: ${(error as Error).message}`,
      { file: fileLocation(files, path) },
      { cause: error },
    );
  }
}

async function loadSharded(
  files: FileSource,
  indexPath: string,
  format: WeightFormat,
  options: LoadCheckpointOptions,
): Promise<Checkpoint> {
  const { shardOf, shards, fail } = await readShardIndexFile(files, indexPath, options);
  const indexName = fileLocation(files, indexPath);
  const parts = new Map<string, Checkpoint>();
  for (const shard of shards) {
    if (!(await files.exists(shard))) throw fail(`names shard "${shard}", which is not in ${files.location}`);
    parts.set(shard, await loadFile(files, shard, format, options));
  }
  const merged = Checkpoint.merge([...parts.values()], `${indexName} (${shards.length} shards)`);

  const problems: string[] = [];
  for (const [name, shard] of shardOf) {
    const part = parts.get(shard);
    if (part !== undefined && !part.has(name))
      problems.push(`${name}: mapped to ${shard}, which does not hold it`);
  }
  if (problems.length > 0) throw fail('does not match its shards', problems);
  return merged;
}

/**
 * Reads the index of a sharded checkpoint under the reading policy: which shard holds each
 * tensor, the distinct shards in order, and the error maker that names the index.
 */
export async function readShardIndexFile(
  files: FileSource,
  indexPath: string,
  options: LoadCheckpointOptions,
): Promise<{
  shardOf: Map<string, string>;
  shards: string[];
  fail: (message: string, details?: string[]) => CheckpointError;
}> {
  const indexName = fileLocation(files, indexPath);
  const fail = (message: string, details?: string[]) =>
    new CheckpointError(message, details === undefined ? { file: indexName } : { file: indexName, details });
  const { onProgress, limits } = options;
  const text = await readOrFail(files, indexPath, () =>
    readJsonText(files, indexPath, {
      ...(limits && { limits }),
      ...(onProgress && {
        onProgress: (loaded: number, total: number | undefined) =>
          onProgress(total === undefined ? { file: indexPath, loaded } : { file: indexPath, loaded, total }),
      }),
    }),
  );
  const shardOf = readShardIndex(text, indexName);
  const shards = [...new Set(shardOf.values())];
  return { shardOf, shards, fail };
}
