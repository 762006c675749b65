import type { Redis } from 'ioredis';
import { QueueError } from './queue-error.js';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

/** How long to wait for Redis, at the start and after losing it mid-run, unless told otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Options of {@link connectRedis}. */
export interface ConnectOptions {
  /** Milliseconds to wait for a connection, and to win one back once lost (default 5000). */
  timeoutMs?: number;
}

/** A live Redis connection that BullMQ's classes share. */
export interface RedisHandle {
  /** The ioredis client, made for BullMQ (`maxRetriesPerRequest: null`). */
  readonly client: Redis;
  /** The URL, checked, with its password hidden for messages. */
  readonly target: RedisTarget;
  /**
   * Rejects with a {@link QueueError} naming the URL once Redis has been unreachable for longer
   * than the timeout; never resolves. Race every wait on Redis against it, so a lost server ends a
   * run within the timeout instead of hanging it.
   */
  readonly lost: Promise<never>;
  /** Closes the connection and stops watching it. */
  close(): Promise<void>;
}

/**
 * Connects to Redis, or fails within `timeoutMs` with a {@link QueueError} that names the URL and
 * the last reason (refused, timed out, wrong password). ioredis keeps retrying in the background
 * until then, so a server that is just starting is waited for.
 */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<RedisHandle> {
  const target = parseRedisUrl(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const seconds = `${timeoutMs / 1000} s`;
  // Loaded here, not at the top: a command that never touches a queue does not pay for the driver.
  const { Redis } = await import('ioredis');
  let closed = false;
  const client = new Redis(target.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null,
    // Retries come quickly: the timeout, not the back-off, decides when to give up. Once closed,
    // no client made from these options (BullMQ duplicates this one for its blocking reads)
    // tries again, so none keeps a finished process alive reconnecting to a server that is gone.
    retryStrategy: (times) => (closed ? null : Math.min(100 * times, 500)),
  });
  let lastError: Error | undefined;
  const recordError = (e: Error) => {
    lastError = e;
  };
  client.on('error', recordError);
  // BullMQ's duplicates report their connection errors here too: they are the same server's, and
  // they explain a loss as well as the first client's do.
  const duplicate = client.duplicate.bind(client);
  client.duplicate = (override) => {
    const copy = duplicate(override);
    copy.on('error', recordError);
    return copy;
  };
  const why = () => (lastError ? `: ${lastError.message}` : '');

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new QueueError(`cannot connect to Redis at ${target.display} within ${seconds}${why()}`)),
        timeoutMs,
      );
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      // The first attempt's failure is recorded by the error listener; ioredis retries on its own.
      client.connect().catch((e: Error) => {
        lastError = e;
      });
    });
  } catch (e) {
    closed = true;
    client.disconnect();
    throw e;
  }

  let downSince: number | undefined;
  let watch: NodeJS.Timeout | undefined;
  const lost = new Promise<never>((_, reject) => {
    client.on('close', () => {
      downSince ??= Date.now();
    });
    client.on('ready', () => {
      downSince = undefined;
    });
    watch = setInterval(
      () => {
        if (downSince !== undefined && Date.now() - downSince >= timeoutMs) {
          clearInterval(watch);
          reject(
            new QueueError(
              `lost the connection to Redis at ${target.display} and could not reconnect within ${seconds}${why()}`,
            ),
          );
        }
      },
      Math.min(250, timeoutMs),
    );
    watch.unref();
  });
  // Nobody may be racing against `lost` at the moment it rejects; that must not crash the process.
  lost.catch(() => {});

  return {
    client,
    target,
    lost,
    async close() {
      closed = true;
      clearInterval(watch);
      client.disconnect();
    },
  };
}
