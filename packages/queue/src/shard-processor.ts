import { type ImageGPTForCausalImageModeling, writeFileAtomic } from '@imagegpt/node';
import { encodeFeaturesShard, featuresShard } from './features-shard.js';
import { encodeGenerateShard, generateShard } from './generate-shard.js';
import { canonicalJson, SHARD_FORMAT_VERSION } from './job-id.js';
import type { ModelRef } from './model-ref.js';
import { QueueError } from './queue-error.js';
import type { ShardJobData } from './shard-jobs.js';

/**
 * Which sessions a model is opened with: `batch` for whole sequences (features), `generate` for
 * KV-cached decoding. The CLI opens each kind differently, so they are cached apart.
 */
export type ModelUse = 'batch' | 'generate';

/** Loads the model a job names; the CLI passes its own loader, so a worker loads what `igpt` loads. */
export type LoadModel = (ref: ModelRef, use: ModelUse) => Promise<ImageGPTForCausalImageModeling>;

/** What a shard job returns to BullMQ: small, the numbers live in the shard file. */
export interface ShardResult {
  readonly rows: number;
  readonly file: string;
}

/**
 * Runs shard jobs on a worker: loads each model once (the first job that names it) and keeps it
 * for every later job, computes the shard with the same per-shard function the single-process
 * path uses, and writes the shard file atomically (a temporary file, then a rename), so a job run
 * twice (delivery is at least once) writes the same bytes twice and never half a file.
 */
export class ShardProcessor {
  readonly #load: LoadModel;
  readonly #models = new Map<string, Promise<ImageGPTForCausalImageModeling>>();

  constructor(load: LoadModel) {
    this.#load = load;
  }

  /** Runs one job and writes its shard file. */
  async run(id: string, data: ShardJobData): Promise<ShardResult> {
    if (data.v !== SHARD_FORMAT_VERSION) {
      throw new QueueError(
        `job ${id} was made for shard format ${String(data.v)}, this worker writes format ${SHARD_FORMAT_VERSION}: run the same igpt version everywhere`,
      );
    }
    if (data.kind === 'features') {
      const model = await this.model(data.model, 'batch');
      const features = await featuresShard(model, data);
      await writeFileAtomic(data.out, encodeFeaturesShard(features, model.config.nEmbd, id), { force: true });
      return { rows: data.images.length, file: data.out };
    }
    if (data.kind === 'generate') {
      const model = await this.model(data.model, 'generate');
      const tokens = await generateShard(model, data);
      await writeFileAtomic(data.out, encodeGenerateShard(tokens, data.first, id), { force: true });
      return { rows: tokens.length, file: data.out };
    }
    throw new QueueError(
      `job ${id} is of kind ${String((data as { kind?: unknown }).kind)}, expected features or generate`,
    );
  }

  /** The model for `ref` opened for `use`, loaded on first use and then kept. */
  model(ref: ModelRef, use: ModelUse): Promise<ImageGPTForCausalImageModeling> {
    const key = canonicalJson({ ref, use });
    let model = this.#models.get(key);
    if (model === undefined) {
      model = this.#load(ref, use);
      this.#models.set(key, model);
      // A load that fails is forgotten, so the next job tries again (the folder may be mounted by then).
      model.catch(() => this.#models.delete(key));
    }
    return model;
  }

  /** Releases every model loaded. */
  async dispose(): Promise<void> {
    const models = [...this.#models.values()];
    this.#models.clear();
    const loaded = await Promise.allSettled(models);
    for (const result of loaded) if (result.status === 'fulfilled') await result.value.dispose();
  }
}
