// Past one machine: `igpt features` and `igpt generate` on BullMQ workers through Redis, run as a
// user runs them (a coordinator and `igpt worker` processes on one test Redis). The queue must
// never change a byte of the output, lose a shard to a killed worker or a killed coordinator, or
// hang on a Redis that is gone.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readSafetensors } from '@imagegpt/node';
import {
  freePort,
  haveRedis,
  REDIS_SERVER,
  redisRequired,
  startRedis,
  type TestRedis,
} from '@imagegpt/test-kit/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type IgptProcess, igptProcesses } from './test-utils/igpt-process.js';
import { igpt, json, mnistFolders, tempDir } from './test-utils.js';

const dir = tempDir('igpt-scale-out-');
let train: string;
/** `igpt features TRAIN --layer 2 --out …` in one process: what every queue run must equal byte for byte. */
let reference: Buffer;
/** `igpt generate --n 7 --seed 3 --out-dir …` in one process. */
const generated = join(dir, 'generated');

beforeAll(() => {
  // 40 digits, 4 per class, in DIR/<digit>/NNNN.png: ten labels.
  ({ train } = mnistFolders(join(dir, 'mnist'), 4));
  const out = join(dir, 'reference.safetensors');
  json(igpt(['features', train, '--layer', '2', '--out', out, '--json']));
  reference = readFileSync(out);
  json(igpt(['generate', '--n', '7', '--seed', '3', '--out-dir', generated, '--json']));
}, 120_000);

/** Row `name` of the reference file. */
function referenceRow(name: string): Float32Array {
  const file = readSafetensors(reference);
  const i = (JSON.parse(file.metadata.images!) as string[]).indexOf(name);
  expect(i).toBeGreaterThanOrEqual(0);
  return file.float32('features').subarray(i * 128, (i + 1) * 128);
}

/** Worker flags that keep the tests quick: one thread, a short lock so a killed worker's job returns soon. */
const WORKER = ['--threads', '1', '--lock-ms', '1000', '--json'];

const startedJobs = (p: IgptProcess, type = 'start') =>
  p
    .events()
    .filter((e) => e.type === type)
    .map((e) => e.job as string);

describe('features and generate without a queue', () => {
  it('a folder gives rows sorted bytewise by path, labelled by their first sub-folder, deterministically', () => {
    const file = readSafetensors(reference);
    const images = JSON.parse(file.metadata.images!) as string[];
    expect(images).toHaveLength(40);
    expect(images).toEqual([...images].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    expect(images[0]).toBe(join(train, '0', '0000.png'));
    expect(JSON.parse(file.metadata.label_names!)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
    ]);
    expect(Array.from(file.int64('labels'), Number)).toEqual(images.map((p) => Number(p.split('/').at(-2))));
    expect(file.get('features').shape).toEqual([40, 128]);
  });

  it("a row's features do not depend on the images that share its shard or its batch", () => {
    // Every image alone in its shard and its forward pass, in another process: the same bytes, so
    // nothing of the time or the host goes in either.
    const one = join(dir, 'shard-1.safetensors');
    json(igpt(['features', train, '--layer', '2', '--out', one, '--shard-size', '1', '--json']));
    expect(readFileSync(one).equals(reference)).toBe(true);
  });

  it('a manifest lists paths relative to itself, with optional tab-separated labels', () => {
    const manifest = join(dir, 'list.txt');
    writeFileSync(
      manifest,
      'mnist/train/3/0001.png\tthree\r\n\nmnist/train/1/0000.png\n' +
        `${join(train, '3', '0000.png')}\tthree\n`,
    );
    const out = join(dir, 'list.safetensors');
    json(igpt(['features', manifest, '--layer', '2', '--out', out, '--json']));
    const file = readSafetensors(readFileSync(out));
    expect(JSON.parse(file.metadata.images!)).toEqual([
      join(dir, 'mnist/train/3/0001.png'),
      join(dir, 'mnist/train/1/0000.png'),
      join(train, '3', '0000.png'),
    ]);
    expect(JSON.parse(file.metadata.label_names!)).toEqual(['three']);
    expect(Array.from(file.int64('labels'), Number)).toEqual([0, -1, 0]);
    // Three images together give each the row it has among all forty.
    const rows = file.float32('features');
    expect(rows.subarray(0, 128)).toEqual(referenceRow(join(train, '3', '0001.png')));
    expect(rows.subarray(128, 256)).toEqual(referenceRow(join(train, '1', '0000.png')));

    writeFileSync(manifest, 'mnist/train/3/0001.png\nno/such.png\tx\n');
    const bad = igpt(['features', manifest, '--out', join(dir, 'bad.safetensors')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${manifest}:2: no/such.png: no such file`);
  });

  it('generate --out-dir writes one PNG per image and tokens.json, the same images as a grid run', () => {
    // No grid unless --out is given.
    expect(readdirSync(generated).sort()).toEqual([
      ...Array.from({ length: 7 }, (_, i) => `0000${i}.png`),
      'tokens.json',
    ]);
    const saved = JSON.parse(readFileSync(join(generated, 'tokens.json'), 'utf8'));
    expect(saved).toMatchObject({ model: 'embedded', seed: 3, width: 16, height: 16 });
    const tokensFile = join(dir, 'grid-tokens.json');
    json(
      igpt([
        'generate',
        '--n',
        '7',
        '--seed',
        '3',
        '--batch',
        '2',
        '--out',
        join(dir, 'g.png'),
        '--save-tokens',
        tokensFile,
        '--json',
      ]),
    );
    expect(saved.tokens).toEqual(JSON.parse(readFileSync(tokensFile, 'utf8')).tokens);
  });
});

if (!haveRedis && !redisRequired)
  console.warn(
    `queue tests skipped: no ${REDIS_SERVER} (apt-get install -y redis-server); IGPT_REQUIRE_REDIS=1 makes this a failure`,
  );

describe.skipIf(!haveRedis && !redisRequired)(
  'features and generate on a queue (BullMQ on a test Redis)',
  () => {
    const procs = igptProcesses();
    let redis: TestRedis;

    beforeAll(async () => {
      if (!haveRedis)
        throw new Error(
          `${REDIS_SERVER} is not installed, and IGPT_REQUIRE_REDIS=1 requires the queue tests`,
        );
      redis = await startRedis();
    }, 30_000);
    afterEach(() => procs.killAll());
    afterAll(async () => {
      await redis?.stop();
    });

    it('two workers, one killed with SIGKILL mid-shard: the merged file equals the single-process file', async () => {
      const out = join(dir, 'killed', 'features.safetensors');
      const coordinator = procs.start([
        'features',
        train,
        '--layer',
        '2',
        '--out',
        out,
        '--queue',
        redis.url,
        '--shard-size',
        '8',
      ]);
      const a = procs.start(['worker', '--queue', redis.url, ...WORKER]);
      const b = procs.start(['worker', '--queue', redis.url, ...WORKER]);
      await a.waitFor('a job', (p) => startedJobs(p).length > 0);
      // Killed on taking its first job: the model is still loading, nothing of the shard is written.
      a.child.kill('SIGKILL');
      const [killed] = startedJobs(a);
      expect((await coordinator.exited).code, coordinator.stderr()).toBe(0);
      b.child.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);

      expect(readFileSync(out).equals(reference)).toBe(true);
      // The killed worker's shard was taken up again by the other once its lock expired.
      expect(startedJobs(a, 'done')).not.toContain(killed);
      expect(startedJobs(b, 'done')).toContain(killed);
      expect(existsSync(`${out}.shards`)).toBe(false);
      // Finished jobs are removed from Redis: none of the run's job keys is left.
      const jobs = [...new Set([...startedJobs(a), ...startedJobs(b)])];
      expect(jobs.length).toBe(5);
      const keys = jobs.map((id) => `bull:igpt:${id}`);
      const left = spawnSync('redis-cli', ['-p', String(redis.port), 'exists', ...keys], {
        encoding: 'utf8',
      });
      expect(left.stdout.trim()).toBe('0');
    });

    it('an interrupted coordinator: the re-run finishes without redoing finished shards', async () => {
      const out = join(dir, 'resumed', 'features.safetensors');
      const args = [
        'features',
        train,
        '--layer',
        '2',
        '--out',
        out,
        '--queue',
        redis.url,
        '--shard-size',
        '4',
      ];
      const first = procs.start(args);
      const w1 = procs.start(['worker', '--queue', redis.url, ...WORKER]);
      await w1.waitFor('3 shards done', (p) => startedJobs(p, 'done').length >= 3);
      first.child.kill('SIGKILL');
      // SIGTERM: the worker finishes the shard in hand, then exits 0.
      w1.child.kill('SIGTERM');
      expect((await w1.exited).code).toBe(0);
      await first.exited;
      const doneBefore = startedJobs(w1, 'done');
      // The shard in hand at SIGTERM was finished, not dropped.
      expect(startedJobs(w1)).toEqual(doneBefore);
      expect(doneBefore.length).toBeLessThan(10);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(`${out}.shards`)).toHaveLength(doneBefore.length);

      const second = procs.start(args);
      const w2 = procs.start(['worker', '--queue', redis.url, ...WORKER]);
      expect((await second.exited).code, second.stderr()).toBe(0);
      w2.child.kill('SIGTERM');
      await w2.exited;
      expect(second.stderr()).toContain(
        `queue: 10 shards, ${doneBefore.length} done before, 0 enqueued, ${10 - doneBefore.length} still queued from before`,
      );
      const doneAfter = startedJobs(w2);
      expect(doneAfter.filter((job) => doneBefore.includes(job))).toEqual([]);
      expect(new Set([...doneBefore, ...doneAfter]).size).toBe(10);
      expect(readFileSync(out).equals(reference)).toBe(true);
    });

    it('a shard that fails is reported with its reason, and the re-run retries it', async () => {
      const data = join(dir, 'retry', 'data');
      for (const digit of ['1', '2']) {
        mkdirSync(join(data, digit), { recursive: true });
        for (const name of ['0000.png', '0001.png', '0002.png'])
          copyFileSync(join(train, digit, name), join(data, digit, name));
      }
      writeFileSync(join(data, '2', '0003.png'), 'not a png');
      const out = join(dir, 'retry', 'features.safetensors');
      const args = [
        'features',
        data,
        '--layer',
        '2',
        '--out',
        out,
        '--queue',
        redis.url,
        '--shard-size',
        '4',
        '--attempts',
        '1',
      ];
      procs.start(['worker', '--queue', redis.url, ...WORKER]);
      const failed = procs.start(args);
      expect((await failed.exited).code).toBe(1);
      expect(failed.stderr()).toMatch(
        /igpt: shard 2 of 2 \(job features-[0-9a-f]{32}\) failed after 1 attempts: .*0003\.png: not a readable image/,
      );
      expect(existsSync(out)).toBe(false);

      copyFileSync(join(train, '2', '0003.png'), join(data, '2', '0003.png'));
      const again = procs.start(args);
      expect((await again.exited).code, again.stderr()).toBe(0);
      expect(again.stderr()).toContain('2 shards, 1 done before, 0 enqueued, 1 failed before, retried');
      const file = readSafetensors(readFileSync(out));
      const images = JSON.parse(file.metadata.images!) as string[];
      expect(images.map((p) => p.split('/').slice(-2).join('/'))).toEqual([
        '1/0000.png',
        '1/0001.png',
        '1/0002.png',
        '2/0000.png',
        '2/0001.png',
        '2/0002.png',
        '2/0003.png',
      ]);
      const rows = file.float32('features');
      images.forEach((image, i) => {
        const name = join(train, ...image.split('/').slice(-2));
        expect(rows.subarray(i * 128, (i + 1) * 128), name).toEqual(referenceRow(name));
      });
    });

    it('bulk generation through the queue equals generate --out-dir with the same seed', async () => {
      const local = generated;
      const queued = join(dir, 'generated-on-queue');
      const worker = procs.start(['worker', '--queue', redis.url, ...WORKER, '--exit-when-idle']);
      const run = procs.start([
        'generate',
        '--n',
        '7',
        '--seed',
        '3',
        '--out-dir',
        queued,
        '--queue',
        redis.url,
        '--shard-size',
        '3',
      ]);
      expect((await run.exited).code, run.stderr()).toBe(0);
      const names = readdirSync(local).sort();
      expect(names).toHaveLength(8);
      expect(readdirSync(queued).sort()).toEqual(names);
      for (const name of names)
        expect(readFileSync(join(queued, name)).equals(readFileSync(join(local, name))), name).toBe(true);
      expect(existsSync(`${queued}.shards`)).toBe(false);
      // --exit-when-idle: the worker ends on its own once the queue has been empty for 5 s.
      expect((await worker.exited).code).toBe(0);
      expect(worker.events().at(-1)).toMatchObject({ type: 'stopping', reason: 'idle' });
    });

    it('Redis down at the start: a clear error naming the URL (password hidden), exit 1, nothing written', async () => {
      const url = `redis://:hunter2@127.0.0.1:${await freePort()}`;
      const shown = url.replace('hunter2', '***');
      const out = join(dir, 'down', 'features.safetensors');
      const features = igpt(['features', train, '--out', out, '--queue', url, '--connect-timeout', '1000']);
      expect(features.code).toBe(1);
      expect(features.stderr).toMatch(
        `igpt: cannot connect to Redis at ${shown} within 1 s: connect ECONNREFUSED`,
      );
      expect(features.stderr).not.toContain('hunter2');
      expect(existsSync(dirname(out))).toBe(false);
      const worker = igpt(['worker', '--queue', url, '--connect-timeout', '1000']);
      expect(worker.code).toBe(1);
      expect(worker.stderr).toContain(`igpt: cannot connect to Redis at ${shown} within 1 s`);
    });

    it('Redis going away mid-run: coordinator and worker fail naming the URL, exit 1, nothing half-written', async () => {
      const doomed = await startRedis();
      const out = join(dir, 'lost', 'features.safetensors');
      const coordinator = procs.start([
        'features',
        train,
        '--out',
        out,
        '--queue',
        doomed.url,
        '--connect-timeout',
        '1000',
      ]);
      await coordinator.waitFor('the jobs enqueued', (p) => p.stderr().includes('waiting for workers'));
      // On database 1 the worker sees none of the coordinator's jobs (database 0): both are idle when Redis goes.
      const worker = procs.start([
        'worker',
        '--queue',
        `${doomed.url}/1`,
        '--connect-timeout',
        '1000',
        '--json',
      ]);
      await worker.waitFor('ready', (p) => p.events().some((e) => e.type === 'ready'));
      await doomed.kill();
      for (const [p, url] of [
        [coordinator, doomed.url],
        [worker, `${doomed.url}/1`],
      ] as const) {
        expect((await p.exited).code, p.stderr()).toBe(1);
        expect(p.stderr()).toContain(
          `igpt: lost the connection to Redis at ${url} and could not reconnect within 1 s`,
        );
      }
      expect(existsSync(out)).toBe(false);
    });
  },
);
