import { type SafetensorsSpec, safetensorsLayout } from '@imagegpt/node';
import { QueueError } from './queue-error.js';

/** What the merged features file of `igpt features --out` says besides the numbers. */
export interface FeaturesFileSpec {
  /** The hidden-state index the features come from. */
  readonly layer: number;
  /** Feature width (the model's `nEmbd`). */
  readonly dim: number;
  /** One name per row, as the inputs named the images. */
  readonly images: readonly string[];
  /**
   * Labels, when any image has one: the label names, sorted, and per row the index of its name,
   * or -1 where that image has none.
   */
  readonly labels?: { readonly names: readonly string[]; readonly ids: readonly number[] };
}

/**
 * The bytes of a features file, as chunks, from the features of consecutive rows as they come (a
 * shard at a time): safetensors with `features` F32 `[N, dim]` and, with labels, `labels` I64
 * `[N]`; metadata `layer`, `images` (JSON list) and `label_names` (JSON list). Nothing else goes
 * in (no time, no host), so equal inputs give equal bytes, whether the rows were computed in one
 * process or on many workers. Rows that do not add up to `images.length` are an error, raised
 * before the last chunk, so an atomic writer leaves nothing behind.
 */
export async function* featuresFileChunks(
  spec: FeaturesFileSpec,
  rows: AsyncIterable<Float32Array> | Iterable<Float32Array>,
): AsyncGenerator<Uint8Array> {
  const n = spec.images.length;
  const tensors: SafetensorsSpec[] = [{ name: 'features', dtype: 'F32', shape: [n, spec.dim] }];
  const metadata: Record<string, string> = { layer: String(spec.layer), images: JSON.stringify(spec.images) };
  let labels: BigInt64Array | undefined;
  if (spec.labels) {
    if (spec.labels.ids.length !== n)
      throw new QueueError(`${spec.labels.ids.length} labels for ${n} images`);
    labels = BigInt64Array.from(spec.labels.ids, (id) => BigInt(id));
    tensors.push({ name: 'labels', dtype: 'I64', shape: [n] });
    metadata.label_names = JSON.stringify(spec.labels.names);
  }
  const { header, order } = safetensorsLayout(tensors, metadata);
  yield header;
  for (const name of order) {
    if (name === 'labels' && labels) {
      yield new Uint8Array(labels.buffer);
      continue;
    }
    let written = 0;
    for await (const chunk of rows) {
      if (chunk.length % Math.max(spec.dim, 1) !== 0)
        throw new QueueError(`a block of ${chunk.length} values is not whole rows of ${spec.dim}`);
      written += spec.dim === 0 ? 0 : chunk.length / spec.dim;
      if (written > n) throw new QueueError(`more feature rows than the ${n} images`);
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    if (written !== n && spec.dim !== 0) throw new QueueError(`${written} feature rows for ${n} images`);
  }
}
