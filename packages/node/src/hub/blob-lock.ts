import { mkdir, open, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRegularFile } from '../node-file-source.js';

/** Options of {@link withBlobLock}. */
export interface BlobLockOptions {
  /** A lock whose file was not touched for this long is taken for abandoned; default 30 s. */
  readonly staleMs?: number;
  /** How often a waiting process looks again; default 100 ms. */
  readonly pollMs?: number;
}

/** What a lock file holds: who made it, so a waiter on the same host can tell its holder died. */
interface LockOwner {
  pid: number;
  host: string;
}

/**
 * Runs `use` while holding the lock file at `path`, so two processes of this library never
 * download the same blob at once (the second waits, then finds the blob there). The lock is a
 * file created exclusively (`wx`) holding the owner's pid and host; the owner touches it every
 * `staleMs / 3` while it works. A waiter takes a lock over when its file is older than `staleMs`,
 * or at once when its owner is a process of this host that no longer runs. Correctness does not
 * rest on the lock: every blob is checked and renamed into place atomically.
 */
export async function withBlobLock<T>(
  path: string,
  use: () => Promise<T>,
  options: BlobLockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  await mkdir(dirname(path), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: hostname() };
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isStale(path, staleMs)) {
      await rm(path, { force: true });
      continue;
    }
    await sleep(pollMs);
  }
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    },
    Math.max(10, staleMs / 3),
  );
  heartbeat.unref();
  try {
    return await use();
  } finally {
    clearInterval(heartbeat);
    await rm(path, { force: true });
  }
}

/** Whether the lock at `path` was abandoned: untouched for `staleMs`, or its owner here is gone. */
async function isStale(path: string, staleMs: number): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return false; // released meanwhile: try again at once
  if (Date.now() - info.mtimeMs > staleMs) return true;
  // A lock holds a short JSON owner; anything else there (a FIFO, a huge file) is not read.
  const owner = await readRegularFile(path, { maxBytes: 4096 })
    .then((bytes) => JSON.parse(new TextDecoder().decode(bytes)) as Partial<LockOwner>)
    .catch(() => undefined);
  if (owner === undefined || owner.host !== hostname() || typeof owner.pid !== 'number') return false;
  return !isRunning(owner.pid);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
