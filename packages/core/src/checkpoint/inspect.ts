import { canReadRanges, type FileSource, fileLocation } from '../io/file-source.js';
import { shapeSize } from './checkpoint.js';
import type { WeightDType } from './dtype.js';
import {
  findWeights,
  type LoadCheckpointOptions,
  loadFile,
  rangeReader,
  read,
  readShardIndexFile,
  type WeightFormat,
} from './load.js';
import { type ByteRangeReader, readSafetensorsHeader } from './safetensors.js';

/** One tensor as a weights file declares it: what {@link inspectCheckpoint} lists. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: WeightDType;
  readonly shape: readonly number[];
  /** The file holding it (a shard of a sharded checkpoint). */
  readonly file: string;
}

/** What the weights of a model folder declare, read without loading them: see {@link inspectCheckpoint}. */
export interface CheckpointInfo {
  readonly format: WeightFormat;
  /** The file found (the index of a sharded checkpoint), then every shard read. */
  readonly files: readonly string[];
  /** Every tensor, in file order. */
  readonly tensors: readonly TensorInfo[];
  /** Elements of all tensors together. */
  readonly elements: number;
}

/** Options of {@link inspectCheckpoint}: which format first, and the limits of the reading policy. */
export type InspectCheckpointOptions = Pick<LoadCheckpointOptions, 'prefer' | 'formats' | 'limits'>;

/**
 * The names, dtypes and shapes of every tensor of a model folder's weights, found as
 * {@link loadCheckpoint} finds them and checked as it checks them, without loading tensor data
 * where the format allows: a safetensors file (or shard) is read header only, by range when the
 * source can; a `pytorch_model.bin` is read and unpickled whole (the zip needs it), its tensors
 * then dropped. A broken or hostile file throws the same `CheckpointError` (or `FilePolicyError`)
 * a load would.
 *
 * @example
 * const { tensors, elements } = await inspectCheckpoint(new NodeFileSource('./igpt-small'));
 */
export async function inspectCheckpoint(
  files: FileSource,
  options: InspectCheckpointOptions = {},
): Promise<CheckpointInfo> {
  const { path, sharded, format } = await findWeights(files, options.prefer, options.formats);
  const shards = sharded ? await shardsOf(files, path, options) : [path];
  const tensors: TensorInfo[] = [];
  for (const shard of shards) {
    for (const tensor of await inspectFile(files, shard, format, options))
      tensors.push({ ...tensor, file: shard });
  }
  const elements = tensors.reduce((n, t) => n + shapeSize(t.shape), 0);
  return { format, files: sharded ? [path, ...shards] : shards, tensors, elements };
}

async function shardsOf(
  files: FileSource,
  indexPath: string,
  options: InspectCheckpointOptions,
): Promise<string[]> {
  const { shards, fail } = await readShardIndexFile(files, indexPath, options);
  for (const shard of shards) {
    if (!(await files.exists(shard))) throw fail(`names shard "${shard}", which is not in ${files.location}`);
  }
  return shards;
}

async function inspectFile(
  files: FileSource,
  path: string,
  format: WeightFormat,
  options: InspectCheckpointOptions,
): Promise<{ name: string; dtype: WeightDType; shape: readonly number[] }[]> {
  if (format === 'bin') {
    const checkpoint = await loadFile(files, path, format, options);
    return checkpoint.names().map((name) => {
      const { dtype, shape } = checkpoint.get(name);
      return { name, dtype, shape };
    });
  }
  const reader: ByteRangeReader = canReadRanges(files)
    ? await rangeReader(files, path)
    : inMemory(await read(files, path, options));
  const header = await readSafetensorsHeader(reader, {
    source: fileLocation(files, path),
    ...(options.limits && { limits: options.limits }),
  });
  return [...header.tensors];
}

function inMemory(bytes: Uint8Array): ByteRangeReader {
  return { size: bytes.length, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}
