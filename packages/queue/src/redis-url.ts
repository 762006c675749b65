import { QueueError } from './queue-error.js';

/** A checked `redis://` or `rediss://` URL. */
export interface RedisTarget {
  /** The URL as given, handed to ioredis (which reads the user, password, host, port and db from it). */
  readonly url: string;
  /** The URL with any password replaced by `***`: safe for messages and logs. */
  readonly display: string;
  /** Whether the connection uses TLS (`rediss://`). */
  readonly tls: boolean;
}

/**
 * Checks a Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. The
 * error names the value (password hidden) and what was expected.
 *
 * @example
 * parseRedisUrl('redis://:secret@queue.internal:6379/2').display; // 'redis://:***@queue.internal:6379/2'
 */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError(
      `--queue ${JSON.stringify(url)} is not a URL; expected redis://[user:password@]host[:port][/db]`,
    );
  }
  if (parsed.password) parsed.password = '***';
  const display = parsed.toString().replace(/\/$/, '');
  const fail = (why: string) =>
    new QueueError(
      `--queue ${display}: ${why}; expected redis://[user:password@]host[:port][/db] (or rediss:// for TLS)`,
    );
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw fail(`the scheme is ${parsed.protocol.replace(/:$/, '')}`);
  if (parsed.hostname === '') throw fail('no host');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw fail(`the database ${JSON.stringify(db)} is not a number`);
  if (parsed.search !== '' || parsed.hash !== '') throw fail('query strings and fragments are not read');
  return { url, display, tls: parsed.protocol === 'rediss:' };
}
