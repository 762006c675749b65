import { join } from 'node:path';
import type { FeaturesShardSpec } from './features-shard.js';
import type { GenerateShardSpec } from './generate-shard.js';
import { SHARD_FORMAT_VERSION, shardJobId } from './job-id.js';
import type { ModelRef } from './model-ref.js';
import { planShards } from './shard-plan.js';

/** Where a job's shard sits in its run, for logs and messages. */
export interface ShardPlace {
  readonly index: number;
  readonly count: number;
}

/** Fields every shard job carries. */
interface ShardJobBase {
  /** The shard-file format the coordinator expects; a worker reading another format refuses the job. */
  readonly v: number;
  readonly model: ModelRef;
  /** The shard file to write (absolute; on a filesystem the coordinator reads). */
  readonly out: string;
  readonly shard: ShardPlace;
}

/** A BullMQ job of `igpt features`: one shard of images. */
export interface FeaturesJobData extends ShardJobBase, FeaturesShardSpec {
  readonly kind: 'features';
}

/** A BullMQ job of `igpt generate`: one range of rows. */
export interface GenerateJobData extends ShardJobBase, GenerateShardSpec {
  readonly kind: 'generate';
}

/** What a worker receives; `kind` is also the BullMQ job name. */
export type ShardJobData = FeaturesJobData | GenerateJobData;

/** One shard to enqueue: a deterministic job id, the data, and the shard file that marks it done. */
export interface ShardTask<D extends ShardJobData = ShardJobData> {
  readonly id: string;
  readonly data: D;
  /** Rows this shard holds. */
  readonly rows: number;
}

/** Options shared by {@link featuresTasks} and {@link generateTasks}. */
export interface TaskOptions {
  readonly model: ModelRef;
  /**
   * What identifies the model's weights beyond `model` (e.g. a fingerprint of the folder's files),
   * so a changed model never reuses shards of the old one. Goes into the job ids only.
   */
  readonly modelIdentity: unknown;
  /** Rows per shard. */
  readonly shardSize: number;
  /** The folder shard files go to (absolute, shared with every worker). */
  readonly dir: string;
}

/** The shard jobs of a features run over `images` (paths or URLs, in row order). */
export function featuresTasks(
  options: TaskOptions & { readonly layer: number; readonly images: readonly string[] },
): ShardTask<FeaturesJobData>[] {
  return planShards(options.images.length, options.shardSize).map(({ index, count, start, end }) => {
    const images = options.images.slice(start, end);
    const id = shardJobId('features', {
      model: options.modelIdentity,
      layer: options.layer,
      images,
      dir: options.dir,
    });
    const data: FeaturesJobData = {
      kind: 'features',
      v: SHARD_FORMAT_VERSION,
      model: options.model,
      layer: options.layer,
      images,
      out: join(options.dir, `${id}.safetensors`),
      shard: { index, count },
    };
    return { id, data, rows: images.length };
  });
}

/** The shard jobs of a generation run of `n` rows. */
export function generateTasks(
  options: TaskOptions & Omit<GenerateShardSpec, 'first' | 'count'> & { readonly n: number },
): ShardTask<GenerateJobData>[] {
  return planShards(options.n, options.shardSize).map(({ index, count, start, end }) => {
    // `batch` is left out of the id: it does not change the rows, so a re-run with another
    // --batch still finds its shards.
    const id = shardJobId('generate', {
      model: options.modelIdentity,
      sampling: options.sampling,
      seed: options.seed,
      first: start,
      count: end - start,
      dir: options.dir,
    });
    const data: GenerateJobData = {
      kind: 'generate',
      v: SHARD_FORMAT_VERSION,
      model: options.model,
      sampling: options.sampling,
      seed: options.seed,
      first: start,
      count: end - start,
      batch: options.batch,
      out: join(options.dir, `${id}.json`),
      shard: { index, count },
    };
    return { id, data, rows: end - start };
  });
}
