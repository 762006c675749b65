import { JsonReader, previewValue } from '@imagegpt/config/json';
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
 * The most shard files one index may name. The largest models on the hub have a few hundred; every
 * shard is looked up, opened (or downloaded), so this bounds what an index can make a reader do.
 */
export const MAX_SHARDS = 10_000;

/**
 * Reads a shard index (`{"metadata": …, "weight_map": {tensor: shard file}}`) and returns its
 * weight map, refusing a map that is not an object of plain relative file names inside the model
 * folder (no `../`, no absolute path, no URL): a hostile index must not make a loader read, or a
 * downloader fetch, anything else. The text is read in one pass: the other keys (`metadata`) are
 * checked but never built, values are quoted in errors at most ~100 characters, and an index may
 * name at most {@link MAX_SHARDS} shards. The caller bounds the text's size (`readJsonText`, or
 * `FileLimits.maxJsonBytes` for bytes from elsewhere). `name` names the index in messages.
 *
 * @example
 * const map = readShardIndex(text, 'model.safetensors.index.json');
 * const shards = new Set(map.values());
 */
export function readShardIndex(text: string, name: string): Map<string, string> {
  const fail = (message: string) => new CheckpointError(message, { file: name });
  const noMap = () => fail('has no "weight_map" object (tensor name → shard file)');
  const reader = new JsonReader(text, {
    fail: (message, offset) => fail(`is not JSON: ${message} at character ${offset}`),
  });
  if (reader.peek() !== 'object') throw noMap();
  let shardOf: Map<string, string> | undefined;
  const shards = new Set<string>();
  reader.readObject((key) => {
    if (key !== 'weight_map') return;
    if (reader.peek() !== 'object') throw noMap();
    const map = new Map<string, string>();
    shardOf = map;
    reader.readObject((tensor) => {
      const shard = reader.peek() === 'string' ? reader.readString() : undefined;
      if (shard === undefined || !isPlainRelativePath(shard)) {
        const shown = shard ?? reader.valueText().text;
        throw fail(
          `weight_map[${previewValue(tensor, 100)}] = ${previewValue(shown, 100)} is not a relative file name inside the model folder`,
        );
      }
      shards.add(shard);
      if (shards.size > MAX_SHARDS)
        throw fail(`names more than ${MAX_SHARDS} shard files, the most that are read`);
      map.set(tensor, shard);
    });
  });
  reader.end();
  if (shardOf === undefined) throw noMap();
  if (shardOf.size === 0) throw fail('weight_map is empty');
  return shardOf;
}
