import {
  type ImageGPTForCausalImageModeling,
  readRegularFile,
  readSafetensors,
  writeSafetensors,
} from '@imagegpt/node';
import { readImageSource } from './image-source.js';
import { QueueError } from './queue-error.js';

/** What one features shard computes: mean-pooled hidden state `layer` of each image. */
export interface FeaturesShardSpec {
  /** HF `hidden_states` index: 0 the embeddings, `nLayer` after `ln_f`. */
  readonly layer: number;
  /** Image paths (reachable where the shard runs) or http(s) URLs, in row order. */
  readonly images: readonly string[];
}

/**
 * Images read and run at a time: few enough that a shard of large photos is never all in memory
 * at once. A row's features do not depend on the rows beside it, so this changes no value.
 */
const IMAGES_PER_PASS = 32;

/**
 * The per-shard function of `igpt features`, the same for one process and for a queue worker:
 * row `i` of the result (`nEmbd` values from `i · nEmbd`) is the mean-pooled hidden state `layer`
 * of `images[i]`. Each row depends only on its own image, not on which images share its shard or
 * its pass, so any split into shards gives the same bytes.
 */
export async function featuresShard(
  model: ImageGPTForCausalImageModeling,
  spec: FeaturesShardSpec,
): Promise<Float32Array> {
  const dim = model.config.nEmbd;
  const out = new Float32Array(spec.images.length * dim);
  for (let start = 0; start < spec.images.length; start += IMAGES_PER_PASS) {
    const sources = spec.images.slice(start, start + IMAGES_PER_PASS);
    const images = await Promise.all(sources.map(readImageSource));
    const rows = await model.features(images, { layer: spec.layer, pooling: 'mean' });
    rows.forEach((row, i) => {
      out.set(row, (start + i) * dim);
    });
  }
  return out;
}

/** A shard file's bytes: safetensors with `features` `[rows, dim]` and the job id in its metadata. */
export function encodeFeaturesShard(features: Float32Array, dim: number, job: string): Uint8Array {
  const rows = dim === 0 ? 0 : features.length / dim;
  return writeSafetensors([{ name: 'features', dtype: 'F32', shape: [rows, dim], data: features }], { job });
}

/**
 * Reads a features shard file back, checking that it is the shard expected (its job id) with the
 * rows and width expected; the error names the file and says what to do.
 */
export async function readFeaturesShard(
  path: string,
  expected: { job: string; rows: number; dim: number },
): Promise<Float32Array> {
  const fail = (why: string) =>
    new QueueError(`shard file ${path}: ${why}; delete it and run again to recompute that shard`);
  let bytes: Uint8Array;
  try {
    // A regular file only (the library's reading policy): a FIFO put in its place is refused.
    bytes = await readRegularFile(path);
  } catch (e) {
    throw fail(`cannot read (${(e as Error).message})`);
  }
  let features: Float32Array;
  let shape: readonly number[];
  let job: string | undefined;
  try {
    const checkpoint = readSafetensors(bytes, { source: path });
    job = checkpoint.metadata?.job;
    shape = checkpoint.get('features').shape;
    features = checkpoint.float32('features');
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (job !== expected.job) throw fail(`written for job ${job ?? '(none)'}, expected ${expected.job}`);
  if (shape[0] !== expected.rows || shape[1] !== expected.dim)
    throw fail(`features are [${shape.join(', ')}], expected [${expected.rows}, ${expected.dim}]`);
  return features;
}
