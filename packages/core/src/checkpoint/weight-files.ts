import { isPlainRelativePath } from '../io/file-source.js';
import { CheckpointError } from './errors.js';
import type { WeightFormat } from './load.js';

/** The weight files Hugging Face writes for one format: the single file, or an index naming shards. */
export interface WeightFileNames {
  /** The unsharded file: `model.safetensors` or `pytorch_model.bin`. */
  readonly single: string;
  /** The index of a sharded checkpoint: `model.safetensors.index.json` or `pytorch_model.bin.index.json`. */
  readonly index: string;
}

/** The file names of each {@link WeightFormat}, as `save_pretrained` writes them and `from_pretrained` looks for them. */
export const WEIGHT_FILES: Readonly<Record<WeightFormat, WeightFileNames>> = {
  safetensors: { single: 'model.safetensors', index: 'model.safetensors.index.json' },
  bin: { single: 'pytorch_model.bin', index: 'pytorch_model.bin.index.json' },
};

/**
 * Reads a shard index (`{"metadata": …, "weight_map": {tensor: shard file}}`) and returns its
 * weight map, refusing a map that is not an object of plain relative file names inside the model
 * folder (no `../`, no absolute path, no URL): a hostile index must not make a loader read, or a
 * downloader fetch, anything else. `name` names the index in messages.
 *
 * @example
 * const map = readShardIndex(text, 'model.safetensors.index.json');
 * const shards = new Set(map.values());
 */
export function readShardIndex(text: string, name: string): Map<string, string> {
  const fail = (message: string) => new CheckpointError(message, { file: name });
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (error) {
    throw fail(`is not JSON: ${(error as Error).message}`);
  }
  const weightMap =
    typeof index === 'object' && index !== null ? (index as Record<string, unknown>).weight_map : undefined;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw fail('has no "weight_map" object (tensor name → shard file)');
  }
  const shardOf = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !isPlainRelativePath(shard)) {
      const shown = JSON.stringify(shard)?.slice(0, 100) ?? String(shard);
      throw fail(`weight_map["${tensor}"] = ${shown} is not a relative file name inside the model folder`);
    }
    shardOf.set(tensor, shard);
  }
  if (shardOf.size === 0) throw fail('weight_map is empty');
  return shardOf;
}
