import { strFromU8 } from 'fflate';
import { Checkpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { readPytorchBin } from './pytorch-zip.js';
import { readSafetensors } from './safetensors.js';

/**
 * Byte access to a model folder (local directory, URL prefix, in-memory map). Implemented by
 * `@imagegpt/node` over the file system and by `@imagegpt/web` over fetch; paths are relative to
 * {@link FileSource.location} and use `/`.
 */
export interface FileSource {
  /** Where the folder is, for messages (a directory path or a URL). */
  readonly location: string;
  /** Whether the file exists. */
  exists(path: string): Promise<boolean>;
  /** The whole file; `onProgress` may be called as bytes arrive (`total` when known). */
  read(path: string, onProgress?: (loaded: number, total: number | undefined) => void): Promise<Uint8Array>;
}

/** Progress of one file during {@link loadCheckpoint}. */
export interface LoadProgress {
  /** Path of the file within the source. */
  readonly file: string;
  readonly loaded: number;
  readonly total?: number;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Which format to look for first when a folder has both; default `'safetensors'`. */
  readonly prefer?: 'safetensors' | 'bin';
  /** Called as each file's bytes arrive. */
  readonly onProgress?: (info: LoadProgress) => void;
}

type Format = 'safetensors' | 'bin';

/** The files Hugging Face writes, single-file before sharded, as `from_pretrained` looks for them. */
const CANDIDATES: Readonly<Record<Format, readonly { path: string; sharded: boolean }[]>> = {
  safetensors: [
    { path: 'model.safetensors', sharded: false },
    { path: 'model.safetensors.index.json', sharded: true },
  ],
  bin: [
    { path: 'pytorch_model.bin', sharded: false },
    { path: 'pytorch_model.bin.index.json', sharded: true },
  ],
};

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
  const formats: Format[] = options.prefer === 'bin' ? ['bin', 'safetensors'] : ['safetensors', 'bin'];
  const candidates = formats.flatMap((format) =>
    CANDIDATES[format].map((candidate) => ({ ...candidate, format })),
  );
  for (const { path, sharded, format } of candidates) {
    if (!(await files.exists(path))) continue;
    return sharded
      ? loadSharded(files, path, format, options)
      : parse(format, await read(files, path, options), where(files, path));
  }
  throw new CheckpointError(`no checkpoint found; looked for ${candidates.map((c) => c.path).join(', ')}`, {
    file: files.location,
  });
}

function parse(format: Format, bytes: Uint8Array, source: string): Checkpoint {
  return format === 'safetensors' ? readSafetensors(bytes, { source }) : readPytorchBin(bytes, { source });
}

function where(files: FileSource, path: string): string {
  return files.location.endsWith('/') ? `${files.location}${path}` : `${files.location}/${path}`;
}

async function read(files: FileSource, path: string, options: LoadCheckpointOptions): Promise<Uint8Array> {
  const { onProgress } = options;
  try {
    return await files.read(
      path,
      onProgress &&
        ((loaded, total) =>
          onProgress(total === undefined ? { file: path, loaded } : { file: path, loaded, total })),
    );
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(
      `could not be read: ${(error as Error).message}`,
      { file: where(files, path) },
      { cause: error },
    );
  }
}

async function loadSharded(
  files: FileSource,
  indexPath: string,
  format: Format,
  options: LoadCheckpointOptions,
): Promise<Checkpoint> {
  const indexName = where(files, indexPath);
  const fail = (message: string, details?: string[]) =>
    new CheckpointError(message, details === undefined ? { file: indexName } : { file: indexName, details });
  let index: unknown;
  try {
    index = JSON.parse(strFromU8(await read(files, indexPath, options)));
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw fail(`is not JSON: ${(error as Error).message}`);
  }
  const weightMap =
    typeof index === 'object' && index !== null ? (index as Record<string, unknown>).weight_map : undefined;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw fail('has no "weight_map" object (tensor name → shard file)');
  }

  const shardOf = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !isPlainShardPath(shard)) {
      throw fail(
        `weight_map["${name}"] = ${JSON.stringify(shard)} is not a relative file name inside the model folder`,
      );
    }
    shardOf.set(name, shard);
  }
  const shards = [...new Set(shardOf.values())];
  if (shards.length === 0) throw fail('weight_map is empty');

  const parts: Checkpoint[] = [];
  for (const shard of shards) {
    if (!(await files.exists(shard))) throw fail(`names shard "${shard}", which is not in ${files.location}`);
    parts.push(parse(format, await read(files, shard, options), where(files, shard)));
  }
  const merged = Checkpoint.merge(parts, `${indexName} (${shards.length} shards)`);

  const problems: string[] = [];
  for (const [name, shard] of shardOf) {
    const part = parts[shards.indexOf(shard)];
    if (part !== undefined && !part.has(name))
      problems.push(`${name}: mapped to ${shard}, which does not hold it`);
  }
  if (problems.length > 0) throw fail('does not match its shards', problems);
  return merged;
}

/** Shard names come from a downloaded file, so they must not climb out of the model folder. */
function isPlainShardPath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.startsWith('/') &&
    !path.includes('\\') &&
    !/^[a-z][a-z0-9+.-]*:/i.test(path) &&
    path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
  );
}
