import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_SHARD_SIZE, runShards, type ShardTask } from '@imagegpt/queue';
import { type Command, Option } from 'commander';
import type { Io } from './context.js';
import { int } from './main.js';
import { progressBar } from './progress.js';

/** The flags every queue command takes: where Redis is and how long to wait for it. */
export interface ConnectFlags {
  queue?: string;
  connectTimeout: number;
}

/** The flags of a command that can run on a queue (features, generate). */
export interface QueueFlags extends ConnectFlags {
  shardSize: number;
  shardDir?: string;
  attempts: number;
}

/** Adds --queue and --connect-timeout. */
export function connectFlags(cmd: Command, queueHelp: string): Command {
  return cmd
    .option('--queue <url>', queueHelp)
    .addOption(
      new Option('--connect-timeout <ms>', 'how long to wait for Redis, at the start or after losing it')
        .default(DEFAULT_CONNECT_TIMEOUT_MS)
        .argParser(int('--connect-timeout')),
    );
}

/** Adds the flags of a sharded run: --queue, --shard-size, --shard-dir, --attempts, --connect-timeout. */
export function queueFlags(cmd: Command): Command {
  return connectFlags(
    cmd,
    'run on BullMQ workers (igpt worker) through Redis: redis://[user:password@]host[:port][/db] or rediss://',
  )
    .addOption(
      new Option('--shard-size <n>', 'rows per shard (one queue job each)')
        .default(DEFAULT_SHARD_SIZE)
        .argParser(int('--shard-size')),
    )
    .option(
      '--shard-dir <dir>',
      'with --queue: where workers write shard files, on a filesystem they share at the same path (default: beside the output, OUT.shards)',
    )
    .addOption(
      new Option('--attempts <n>', 'with --queue: tries per shard before the run fails')
        .default(3)
        .argParser(int('--attempts')),
    );
}

/** The absolute shard folder of a queue run that writes `output`. */
export function shardDir(flags: QueueFlags, output: string): string {
  return resolve(flags.shardDir ?? `${output}.shards`);
}

/**
 * Runs `tasks` on the queue at `flags.queue` with a progress bar over shards, saying on stderr
 * what was done already and what was asked for; resolves once every shard file is there.
 */
export async function runOnQueue(
  io: Io,
  flags: QueueFlags & { json?: boolean },
  tasks: readonly ShardTask[],
): Promise<void> {
  const url = flags.queue!;
  const bar = progressBar(io, !flags.json, 'shards', tasks.length);
  try {
    await runShards(tasks, {
      url,
      timeoutMs: flags.connectTimeout,
      attempts: flags.attempts,
      onPlan: (plan) => {
        if (flags.json) return;
        const parts = [`${plan.total} shards`, `${plan.done} done before`, `${plan.enqueued} enqueued`];
        if (plan.retried > 0) parts.push(`${plan.retried} failed before, retried`);
        if (plan.inFlight > 0) parts.push(`${plan.inFlight} still queued from before`);
        io.err(`queue: ${parts.join(', ')}; shard files in ${dirname(tasks[0]?.data.out ?? '.')}`);
        if (plan.done < plan.total) io.err('queue: waiting for workers (igpt worker --queue URL)');
      },
      onProgress: (done) => bar.update(done),
    });
  } finally {
    bar.stop();
  }
}

/** Removes the shard files of a finished run, and their folder when nothing else is in it. */
export async function removeShardFiles(tasks: readonly ShardTask[]): Promise<void> {
  for (const task of tasks) await rm(task.data.out, { force: true });
  const dir = tasks[0] === undefined ? undefined : dirname(tasks[0].data.out);
  if (dir === undefined) return;
  try {
    // Only an empty folder goes; another run's shards or the user's files keep it.
    if ((await readdir(dir)).length === 0) await rmdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY') throw e;
  }
}
