import { stat } from 'node:fs/promises';
import type { Queue } from 'bullmq';
import { type ConnectOptions, connectRedis } from './connection.js';
import { QueueError } from './queue-error.js';
import type { ShardJobData, ShardTask } from './shard-jobs.js';

/** The BullMQ queue every `igpt` coordinator and worker uses unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'igpt';

/** Options of {@link runShards}. */
export interface RunShardsOptions extends ConnectOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…`. */
  readonly url: string;
  /** BullMQ queue name (default `igpt`); workers must use the same. */
  readonly queueName?: string;
  /** Tries per shard before it counts as failed (default 3), with exponential back-off from 1 s. */
  readonly attempts?: number;
  /** Milliseconds between looks at the shard files (default 500). */
  readonly pollMs?: number;
  /** Milliseconds between looks at the jobs' states in Redis (default 2000). */
  readonly stateMs?: number;
  /** Told once the jobs are in: how many shards were already done, how many were enqueued or retried. */
  readonly onPlan?: (plan: ShardRunPlan) => void;
  /** Told whenever more shards are done. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** How a run started: what was done already and what it had to ask for. */
export interface ShardRunPlan {
  readonly total: number;
  /** Shards whose files were there from an earlier run: skipped. */
  readonly done: number;
  /** Shards added to the queue now. */
  readonly enqueued: number;
  /** Shards that had failed in an earlier run, added again. */
  readonly retried: number;
  /** Shards still queued or running from an earlier run, waited for. */
  readonly inFlight: number;
}

/** A shard whose job vanished without its file appearing gets this long before it is asked for again. */
const VANISHED_GRACE_MS = 10_000;

/**
 * The coordinator's side of a sharded run: enqueues one BullMQ job per shard whose file is not
 * there yet (job ids are deterministic, so jobs still queued from an interrupted run are found,
 * not doubled, and jobs that failed then are retried), then waits until every shard file exists.
 * The files are the record of what is done; Redis only carries the work. Finished jobs are
 * removed from Redis; failed ones stay there (a week) for the next run to retry.
 *
 * Fails with a {@link QueueError} when Redis cannot be reached or is lost for longer than the
 * connect timeout (naming the URL), or when a shard fails all its attempts (naming the shard and
 * the worker's reason). The shard files already written stay, so running again resumes.
 */
export async function runShards(
  tasks: readonly ShardTask[],
  options: RunShardsOptions,
): Promise<ShardRunPlan> {
  const redis = await connectRedis(options.url, options);
  const { Queue } = await import('bullmq');
  const queue: Queue<ShardJobData> = new Queue(options.queueName ?? DEFAULT_QUEUE_NAME, {
    connection: redis.client,
  });
  let queueError: Error | undefined;
  queue.on('error', (e) => {
    queueError = e;
  });
  const work = coordinate(queue, tasks, options);
  // When Redis is lost, `work` fails too once the connection closes below: a consequence of the
  // loss already reported, not a second error to raise.
  work.catch(() => {});
  try {
    return await Promise.race([work, redis.lost]);
  } catch (e) {
    throw e instanceof QueueError || queueError === undefined
      ? e
      : new QueueError(`${e}; queue: ${queueError}`);
  } finally {
    // Disconnecting first makes commands still waiting for a lost server fail now, not hang the close.
    await redis.close();
    await queue.close().catch(() => {
      // The connection is closed already; BullMQ may report that, and nothing is left to release.
    });
  }
}

async function coordinate(
  queue: Queue<ShardJobData>,
  tasks: readonly ShardTask[],
  options: RunShardsOptions,
): Promise<ShardRunPlan> {
  const total = tasks.length;
  const pending = new Map<string, ShardTask>();
  for (const task of tasks) if (!(await exists(task.data.out))) pending.set(task.id, task);
  const done = total - pending.size;

  const jobOptions = (task: ShardTask) => ({
    jobId: task.id,
    attempts: options.attempts ?? 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  });
  const add = async (batch: ShardTask[]) => {
    // Chunks keep one request to Redis to a sane size on a run of many thousand shards.
    for (let i = 0; i < batch.length; i += 500) {
      await queue.addBulk(
        batch
          .slice(i, i + 500)
          .map((task) => ({ name: task.data.kind, data: task.data, opts: jobOptions(task) })),
      );
    }
  };

  const states = await jobStates(queue, [...pending.keys()]);
  const fresh: ShardTask[] = [];
  let retried = 0;
  for (const [id, task] of pending) {
    const state = states.get(id);
    if (state === 'failed' || state === 'completed') {
      // A failed job is retried; a completed one whose file is gone (deleted since) is redone.
      await queue.remove(id);
      if (state === 'failed') retried++;
      fresh.push(task);
    } else if (state === 'unknown') fresh.push(task);
  }
  await add(fresh);
  const plan: ShardRunPlan = {
    total,
    done,
    enqueued: fresh.length - retried,
    retried,
    inFlight: pending.size - fresh.length,
  };
  options.onPlan?.(plan);
  options.onProgress?.(done, total);

  const pollMs = options.pollMs ?? 500;
  const stateMs = options.stateMs ?? 2000;
  const vanished = new Map<string, number>();
  const requeued = new Set<string>();
  let lastStates = Date.now();
  while (pending.size > 0) {
    await sleep(pollMs);
    const before = pending.size;
    for (const [id, task] of pending) if (await exists(task.data.out)) pending.delete(id);
    if (pending.size !== before) options.onProgress?.(total - pending.size, total);
    if (pending.size === 0 || Date.now() - lastStates < stateMs) continue;
    lastStates = Date.now();

    const now = await jobStates(queue, [...pending.keys()]);
    const again: ShardTask[] = [];
    for (const [id, task] of pending) {
      const state = now.get(id);
      if (state === 'failed') {
        const job = await queue.getJob(id);
        const where = `shard ${task.data.shard.index + 1} of ${task.data.shard.count} (job ${id})`;
        throw new QueueError(
          `${where} failed after ${job?.attemptsMade ?? '?'} attempts: ${job?.failedReason ?? 'no reason recorded'}. ` +
            'Shards done so far are kept; fix the cause and run the same command again to retry it.',
        );
      }
      if (state !== 'unknown' && state !== 'completed') {
        vanished.delete(id);
        continue;
      }
      // Finished (and removed) without its file in sight: the file may still be on its way through
      // a network filesystem's cache, so wait a little before asking for the shard again.
      const since = vanished.get(id) ?? Date.now();
      vanished.set(id, since);
      if (Date.now() - since < VANISHED_GRACE_MS) continue;
      if (requeued.has(id)) {
        throw new QueueError(
          `shard ${task.data.shard.index + 1} of ${task.data.shard.count} (job ${id}) finished twice, but its file ${task.data.out} ` +
            'never appeared here: the shard folder must be on a filesystem that the workers and this command share, at the same path',
        );
      }
      requeued.add(id);
      vanished.delete(id);
      if (state === 'completed') await queue.remove(id);
      again.push(task);
    }
    await add(again);
  }
  return plan;
}

/** Each job's state, asked for all at once (ioredis pipelines the requests). */
async function jobStates(queue: Queue<ShardJobData>, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const states = await Promise.all(chunk.map((id) => queue.getJobState(id)));
    chunk.forEach((id, j) => {
      out.set(id, states[j]!);
    });
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
