/**
 * An error of the queue layer: an unreachable or lost Redis, a bad `--queue` URL, a shard that
 * failed on a worker, a shard file that is missing or does not fit. The message names the URL
 * (password hidden), the shard or the file at fault.
 */
export class QueueError extends Error {
  override name = 'QueueError';
}
