import { decodeImage, type RawImage, readImage } from '@imagegpt/node';
import { QueueError } from './queue-error.js';

/** Whether an image reference is a URL (fetched) rather than a path (read from disk). */
export function isImageUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** How long one image download may take before its shard fails (and is retried). */
const FETCH_TIMEOUT_MS = 60_000;

/**
 * Reads one image of a shard: a path every worker can reach (a shared filesystem), or an http(s)
 * URL. Errors name the path or URL.
 */
export async function readImageSource(source: string): Promise<RawImage> {
  if (!isImageUrl(source)) return readImage(source);
  let response: Response;
  try {
    response = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (e) {
    throw new QueueError(`${source}: cannot fetch (${(e as Error).message})`);
  }
  if (!response.ok) throw new QueueError(`${source}: HTTP ${response.status} ${response.statusText}`);
  return decodeImage(new Uint8Array(await response.arrayBuffer()), { source });
}
