#!/usr/bin/env node
// Throughput of `igpt features` on the queue: one process without a queue, then 1, 2, … local
// `igpt worker` processes on a throwaway redis-server, each over the same MNIST digits with the
// embedded model (or --model DIR, any causal model folder). Run it against the build (`npm run build` first; needs redis-server):
//
//   node packages/queue/scripts/throughput.mjs [--images 1000] [--shard-size 100] [--workers 1,2] [--threads T] [--layer 4] [--model DIR]
//
// Each worker gets --threads threads, by default the cores divided by the workers (the one process
// gets --threads, by default all cores). Times run from the coordinator's start to its exit,
// with the workers started (and idle) beforehand, so model loading on the first job is counted.
// Prints a Markdown table and one JSON line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const bin = join(root, 'apps', 'cli', 'dist', 'bin.js');
const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '1000' },
    'shard-size': { type: 'string', default: '100' },
    workers: { type: 'string', default: '1,2' },
    layer: { type: 'string', default: '4' },
    threads: { type: 'string' },
    model: { type: 'string' },
  },
});
const images = Number(values.images);
const shardSize = values['shard-size'];
const workerCounts = values.workers.split(',').map(Number);
const cores = availableParallelism();
const loadBefore = loadavg()[0];

const work = mkdtempSync(join(tmpdir(), 'igpt-throughput-'));
const perClass = Math.ceil(images / 10);
run(process.execPath, [
  join(root, 'apps', 'cli', 'scripts', 'mnist-folders.mjs'),
  join(work, 'mnist'),
  '--train-per-class',
  String(perClass),
  '--test-per-class',
  '0',
]);
const data = join(work, 'mnist', 'train');
const count = perClass * 10;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r;
}

async function freePort() {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

function start(args) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise((ok) => child.once('close', (code) => ok(code)));
  const waitFor = (text) =>
    new Promise((ok, fail) => {
      const check = () =>
        err.includes(text) ? ok() : child.exitCode !== null ? fail(new Error(err)) : setTimeout(check, 50);
      check();
    });
  return { child, exited, waitFor, stderr: () => err };
}

async function timed(args) {
  const t0 = performance.now();
  const p = start(args);
  const code = await p.exited;
  if (code !== 0) throw new Error(`igpt ${args.join(' ')} exited ${code}:\n${p.stderr()}`);
  return (performance.now() - t0) / 1000;
}

const rows = [];
const common = [
  'features',
  data,
  '--layer',
  values.layer,
  ...(values.model ? ['--model', resolve(values.model)] : []),
];
const singleThreads = values.threads ? Number(values.threads) : cores;
const single = await timed([
  ...common,
  '--out',
  join(work, 'single.safetensors'),
  '--threads',
  String(singleThreads),
  // The shard size also bounds how many images go through the model at once; the same for all.
  '--shard-size',
  shardSize,
]);
rows.push({
  setup: `one process, no queue, ${singleThreads} thread${singleThreads > 1 ? 's' : ''}, --shard-size ${shardSize}`,
  seconds: single,
});

const port = await freePort();
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work],
  { stdio: 'ignore' },
);
const url = `redis://127.0.0.1:${port}`;
try {
  await new Promise((ok) => setTimeout(ok, 300));
  for (const n of workerCounts) {
    const threads = values.threads ? Number(values.threads) : Math.max(1, Math.floor(cores / n));
    const workers = Array.from({ length: n }, () =>
      start(['worker', '--queue', url, '--threads', String(threads)]),
    );
    await Promise.all(workers.map((w) => w.waitFor('waiting for jobs')));
    const seconds = await timed([
      ...common,
      '--out',
      join(work, `queue-${n}.safetensors`),
      '--queue',
      url,
      '--shard-size',
      shardSize,
    ]);
    rows.push({
      setup: `${n} worker${n > 1 ? 's' : ''} × ${threads} thread${threads > 1 ? 's' : ''}, --shard-size ${shardSize}`,
      seconds,
    });
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    run('cmp', [join(work, 'single.safetensors'), join(work, `queue-${n}.safetensors`)]);
  }
} finally {
  redis.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `${count} MNIST digits, ${values.model ?? 'embedded model'}, layer ${values.layer}; ${cores} cores (${cpu}); load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after\n`,
);
console.log('| setup | time | images/s |\n| --- | ---: | ---: |');
for (const r of rows)
  console.log(`| ${r.setup} | ${r.seconds.toFixed(1)} s | ${(count / r.seconds).toFixed(1)} |`);
console.log(JSON.stringify({ images: count, cores, rows }));
