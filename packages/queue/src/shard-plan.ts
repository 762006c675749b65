/** One shard of a run: rows `[start, end)` of the whole list, `index` of `count` shards. */
export interface ShardRange {
  readonly index: number;
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

/** How many images (or generated rows) one shard holds unless told otherwise. */
export const DEFAULT_SHARD_SIZE = 256;

/**
 * Splits `total` rows into consecutive shards of `size` rows (the last one may be shorter). Every
 * row lands in exactly one shard, in order, so merging the shards in index order gives the list.
 */
export function planShards(total: number, size: number = DEFAULT_SHARD_SIZE): ShardRange[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`total must be a count, got ${total}`);
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`shard size must be >= 1, got ${size}`);
  const count = Math.ceil(total / size);
  return Array.from({ length: count }, (_, index) => ({
    index,
    count,
    start: index * size,
    end: Math.min(total, (index + 1) * size),
  }));
}
