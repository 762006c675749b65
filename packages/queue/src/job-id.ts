import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal values always give equal text (and equal
 * hashes) whatever order their keys were written in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * A deterministic BullMQ job id: `kind-` and 32 hex digits of the SHA-256 of everything that
 * decides the shard's result and where it goes (the model's identity, the options, the shard's
 * inputs, the shard file). The same shard asked for twice gets the same id, so BullMQ adds it
 * once and a re-run finds the jobs and files of the last run.
 *
 * @example
 * shardJobId('features', { model, layer: 4, images, out }); // 'features-3f9c…'
 */
export function shardJobId(kind: string, identity: unknown): string {
  // The version is part of the hash: a change to what a shard file holds must not reuse old ones.
  const digest = createHash('sha256')
    .update(canonicalJson({ v: SHARD_FORMAT_VERSION, kind, identity }))
    .digest('hex');
  return `${kind}-${digest.slice(0, 32)}`;
}

/** Bumped whenever a shard file's content changes meaning, so no stale shard is ever merged. */
export const SHARD_FORMAT_VERSION = 1;
