import { type WeightFormat, weightFormatOrder } from '../checkpoint/load.js';
import { readShardIndex, WEIGHT_FILES } from '../checkpoint/weight-files.js';
import { HubError } from './hub-error.js';

/** The model's JSON files fetched from a repo, `config.json` required, the others when present. */
export const HUB_CONFIG_FILES = [
  'config.json',
  'preprocessor_config.json',
  'generation_config.json',
] as const;

/**
 * How {@link chooseModelFiles} asks about a repo's files. In Node both fetch into the cache as
 * they answer (so asking is downloading), from the cache alone when offline.
 */
export interface ModelFileProbe {
  /** Whether the repo has `file` at the revision being fetched. */
  has(file: string): Promise<boolean>;
  /** The bytes of `file` (only asked for an index file that `has` said is there). */
  read(file: string): Promise<Uint8Array>;
}

/** What {@link chooseModelFiles} decided. */
export interface ModelFiles {
  /** Every file of the model, in the order asked: JSON files, then the weights (an index before its shards). */
  readonly files: readonly string[];
  /** The weight format found. */
  readonly format: WeightFormat;
  /** The shard index, when the weights are sharded. */
  readonly index?: string;
}

/**
 * Decides which files of a hub repo make the model, asking `probe` as transformers'
 * `from_pretrained` looks: `config.json` (required), `preprocessor_config.json` and
 * `generation_config.json` when present, then `model.safetensors`, else its index and the shards
 * it names, else `pytorch_model.bin`, else its index and shards (`prefer: 'bin'` looks at the
 * PyTorch files first). Nothing else: TF and Flax weights, READMEs and images are never fetched.
 * An index naming a path outside the repo (`../`, absolute) is refused before any shard is asked for.
 */
export async function chooseModelFiles(
  probe: ModelFileProbe,
  context: { repo: string; revision: string; prefer?: WeightFormat },
): Promise<ModelFiles> {
  const { repo, revision } = context;
  const files: string[] = [];
  for (const file of HUB_CONFIG_FILES) {
    if (await probe.has(file)) files.push(file);
    else if (file === 'config.json') {
      throw new HubError(
        `${repo} has no config.json at revision "${revision}": it is not a transformers model repository`,
        {
          reason: 'not-found',
          repo,
          revision,
          file,
        },
      );
    }
  }
  const formats = weightFormatOrder(context.prefer);
  for (const format of formats) {
    const { single, index } = WEIGHT_FILES[format];
    if (await probe.has(single)) return { files: [...files, single], format };
    if (await probe.has(index)) {
      const map = readShardIndex(new TextDecoder().decode(await probe.read(index)), `${repo}/${index}`);
      const shards = [...new Set(map.values())];
      for (const shard of shards) {
        if (!(await probe.has(shard))) {
          throw new HubError(
            `${repo}/${index} names shard ${shard}, which the repo does not have at revision "${revision}"`,
            {
              reason: 'not-found',
              repo,
              revision,
              file: shard,
            },
          );
        }
      }
      return { files: [...files, index, ...shards], format, index };
    }
  }
  const looked = formats.flatMap((f) => [WEIGHT_FILES[f].single, WEIGHT_FILES[f].index]).join(', ');
  throw new HubError(`${repo} has no PyTorch weights at revision "${revision}" (looked for ${looked})`, {
    reason: 'not-found',
    repo,
    revision,
  });
}
