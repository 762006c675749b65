import type { Job } from 'bullmq';
import { type ConnectOptions, connectRedis } from './connection.js';
import { DEFAULT_QUEUE_NAME } from './coordinator.js';
import { QueueError } from './queue-error.js';
import type { ShardJobData, ShardPlace } from './shard-jobs.js';
import type { ShardResult } from './shard-processor.js';

/** How long a worker holds a job's lock unless told otherwise; BullMQ renews it every half of this. */
export const DEFAULT_LOCK_MS = 30_000;

/** How long the queue must stay empty before `exitWhenIdle` stops a worker. */
export const DEFAULT_IDLE_MS = 5000;

/** Options of {@link runWorker}. */
export interface RunWorkerOptions extends ConnectOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…`. */
  readonly url: string;
  /** BullMQ queue name (default `igpt`), as the coordinators use. */
  readonly queueName?: string;
  /** Jobs run at once (default 1). */
  readonly concurrency?: number;
  /**
   * Milliseconds a job stays locked without renewal (default 30 000). A killed worker's job goes
   * back to the queue once its lock has expired and a live worker's stall check (run as often) sees it.
   */
  readonly lockMs?: number;
  /** Stop once no job has been waiting, delayed or active for `idleMs`. */
  readonly exitWhenIdle?: boolean;
  /** Default 5000. */
  readonly idleMs?: number;
  /** Runs one job: computes the shard, writes its file. */
  readonly process: (id: string, data: ShardJobData) => Promise<ShardResult>;
  /** Told what the worker does, one event at a time, for logs. */
  readonly onEvent?: (event: WorkerEvent) => void;
  /** Aborting finishes the jobs in hand, then stops (SIGTERM). */
  readonly signal?: AbortSignal;
}

/** What a worker reports. */
export type WorkerEvent =
  | { type: 'ready'; queue: string; url: string; concurrency: number }
  | { type: 'start'; job: string; kind: string; shard: ShardPlace; attempt: number }
  | { type: 'done'; job: string; kind: string; shard: ShardPlace; rows: number; ms: number }
  | { type: 'failed'; job: string; kind: string; shard: ShardPlace; attempt: number; error: string }
  | { type: 'stalled'; job: string }
  | { type: 'stopping'; reason: 'signal' | 'idle' };

/** What a worker did before it stopped. */
export interface WorkerSummary {
  readonly done: number;
  readonly failed: number;
}

/**
 * A queue worker: takes shard jobs from BullMQ and runs them, `concurrency` at a time, until
 * `signal` aborts (the jobs in hand finish first) or, with `exitWhenIdle`, the queue has been
 * empty for `idleMs`. A worker killed outright loses nothing: its jobs' locks expire and another
 * worker takes them up. Fails with a {@link QueueError} when Redis cannot be reached or is lost for
 * longer than the connect timeout.
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerSummary> {
  const redis = await connectRedis(options.url, options);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const emit = (event: WorkerEvent) => options.onEvent?.(event);
  const { Queue, Worker } = await import('bullmq');
  const started = new Map<string, number>();
  /** Jobs still computing, awaited before giving up on a lost Redis, so no model is released under one. */
  const inFlight = new Set<Promise<ShardResult>>();
  let done = 0;
  let failed = 0;

  const worker = new Worker<ShardJobData, ShardResult>(
    queueName,
    async (job: Job<ShardJobData, ShardResult>) => {
      const id = job.id!;
      started.set(id, Date.now());
      emit({ type: 'start', job: id, kind: job.name, shard: job.data.shard, attempt: job.attemptsMade + 1 });
      const result = options.process(id, job.data);
      inFlight.add(result);
      try {
        return await result;
      } finally {
        inFlight.delete(result);
      }
    },
    {
      connection: redis.client,
      concurrency: options.concurrency ?? 1,
      lockDuration: lockMs,
      // Look for stalled jobs as often as a lock can expire, so a killed worker's job waits at most
      // about two lock periods.
      stalledInterval: lockMs,
      maxStalledCount: 2,
      autorun: false,
    },
  );
  worker.on('completed', (job, result) => {
    done++;
    const ms = Date.now() - (started.get(job.id!) ?? Date.now());
    started.delete(job.id!);
    emit({ type: 'done', job: job.id!, kind: job.name, shard: job.data.shard, rows: result.rows, ms });
  });
  worker.on('failed', (job, error) => {
    failed++;
    if (job === undefined) return;
    started.delete(job.id!);
    emit({
      type: 'failed',
      job: job.id!,
      kind: job.name,
      shard: job.data.shard,
      attempt: job.attemptsMade,
      error: error.message,
    });
  });
  worker.on('stalled', (job) => emit({ type: 'stalled', job }));
  let workerError: Error | undefined;
  // Connection trouble shows up here too; `redis.lost` decides when it is fatal.
  worker.on('error', (e) => {
    workerError = e;
  });

  const queue = new Queue(queueName, { connection: redis.client });
  queue.on('error', (e) => {
    workerError = e;
  });
  const stop = new AbortController();
  const onAbort = () => {
    emit({ type: 'stopping', reason: 'signal' });
    stop.abort();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const watchIdle = async () => {
    let idleSince: number | undefined;
    const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
    while (!stop.signal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, idleMs / 2)));
      let counts: Record<string, number>;
      try {
        counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
      } catch (e) {
        // Stopping closes the connection under a count in flight; only a failure before that counts.
        if (stop.signal.aborted) return;
        throw e;
      }
      const busy = Object.values(counts).some((n) => n > 0);
      if (busy || started.size > 0) idleSince = undefined;
      else if ((idleSince ??= Date.now()) && Date.now() - idleSince >= idleMs) {
        emit({ type: 'stopping', reason: 'idle' });
        stop.abort();
      }
    }
  };

  try {
    await Promise.race([worker.waitUntilReady(), redis.lost]);
    emit({
      type: 'ready',
      queue: queueName,
      url: redis.target.display,
      concurrency: options.concurrency ?? 1,
    });
    const running = worker.run();
    const idle = options.exitWhenIdle ? watchIdle() : undefined;
    const stopped = new Promise<void>((resolve) =>
      stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    await Promise.race([stopped, redis.lost, ...(idle ? [idle] : [])]);
    // Lets the jobs in hand finish and their results reach Redis, then returns.
    await Promise.race([worker.close(), redis.lost]);
    await running;
    return { done, failed };
  } catch (e) {
    stop.abort();
    // The shards in hand still finish and write their files (harmless, and never half a file);
    // their results cannot reach Redis, so their locks expire and others take them up.
    await Promise.allSettled([...inFlight]);
    if (!(e instanceof QueueError) && workerError !== undefined && e instanceof Error)
      e.message += ` (last worker error: ${workerError.message})`;
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await redis.close();
    await Promise.allSettled([worker.close(true), queue.close()]);
  }
}
