import { availableParallelism, hostname } from 'node:os';
import { DEFAULT_LOCK_MS, runWorker, ShardProcessor, type WorkerEvent } from '@imagegpt/queue';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import type { GlobalOptions, Io } from '../context.js';
import { common, int } from '../main.js';
import { type ConnectFlags, connectFlags } from '../queue-flags.js';
import { loadModelRef, seconds } from './shared.js';

interface WorkerFlags extends GlobalOptions, ConnectFlags {
  concurrency: number;
  lockMs: number;
  exitWhenIdle?: boolean;
}

/** `igpt worker`: runs the shard jobs of `igpt features --queue` and `igpt generate --queue`. */
export function workerCommand(io: Io): Command {
  return connectFlags(
    common(new Command('worker')),
    'Redis URL: redis://[user:password@]host[:port][/db] or rediss://',
  )
    .description('run queued shards of features and generate runs (BullMQ on Redis), on this machine')
    .addOption(new Option('--concurrency <c>', 'jobs at once').default(1).argParser(int('--concurrency')))
    .addOption(
      new Option(
        '--lock-ms <ms>',
        "a job's lock: how long a killed worker's job waits before another takes it",
      )
        .default(DEFAULT_LOCK_MS)
        .argParser(int('--lock-ms', 1000)),
    )
    .option('--exit-when-idle', 'exit once no job has been waiting, delayed or active for 5 s')
    .addHelpText(
      'after',
      `
--threads defaults to the cores divided by --concurrency. Each model is loaded once, by the first
job that names it, and kept. SIGTERM (or Ctrl-C) lets the jobs in hand finish, then exits 0; a
worker killed outright loses nothing, its job is taken up again once its lock expires. Shard files
go where the coordinator says: a folder every worker and the coordinator share, at the same path.
Lines on stderr say what happens; --json prints one JSON object per event on stdout instead.

Examples:
  $ igpt worker --queue redis://localhost:6379
  $ igpt worker --queue redis://:secret@queue.internal:6379/1 --concurrency 2 --exit-when-idle`,
    )
    .action(async (flags: WorkerFlags) => {
      if (flags.queue === undefined)
        throw new CliError('--queue is required: the Redis URL the coordinators use');
      const threads = flags.threads ?? Math.max(1, Math.floor(availableParallelism() / flags.concurrency));
      const processor = new ShardProcessor((ref, use) => loadModelRef(ref, use, threads));
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      const host = hostname();
      const log = (event: WorkerEvent) => {
        if (flags.json) io.out(JSON.stringify({ ...event, host, pid: process.pid }));
        else io.err(`worker ${process.pid}: ${describe(event, threads)}`);
      };
      try {
        const summary = await runWorker({
          url: flags.queue,
          timeoutMs: flags.connectTimeout,
          concurrency: flags.concurrency,
          lockMs: flags.lockMs,
          exitWhenIdle: flags.exitWhenIdle === true,
          process: (id, data) => processor.run(id, data),
          onEvent: log,
          signal: stop.signal,
        });
        if (!flags.json)
          io.err(
            `worker ${process.pid}: stopped after ${summary.done} shards (${summary.failed} failed tries)`,
          );
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await processor.dispose();
      }
    });
}

function describe(event: WorkerEvent, threads: number): string {
  const shard = (e: { shard: { index: number; count: number }; kind: string; job: string }) =>
    `${e.kind} shard ${e.shard.index + 1}/${e.shard.count} (${e.job})`;
  switch (event.type) {
    case 'ready':
      return `waiting for jobs on ${event.url} (queue ${event.queue}, concurrency ${event.concurrency}, ${threads} threads each)`;
    case 'start':
      return `${shard(event)} started${event.attempt > 1 ? `, try ${event.attempt}` : ''}`;
    case 'done':
      return `${shard(event)} done: ${event.rows} rows in ${seconds(event.ms)}`;
    case 'failed':
      return `${shard(event)} failed (try ${event.attempt}): ${event.error}`;
    case 'stalled':
      return `job ${event.job} had stalled (its worker died?); it goes back to the queue`;
    case 'stopping':
      return event.reason === 'idle' ? 'queue idle for 5 s, stopping' : 'stopping after the jobs in hand';
  }
}
