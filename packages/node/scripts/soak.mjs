#!/usr/bin/env node
// Soak test: many generations of the embedded MNIST model in one process, checking that resident
// memory levels off, that no promise rejection goes unhandled, and that every decoder, session and
// tensor is let go. Run it against the build:
//
//   node packages/node/scripts/soak.mjs --n 500
//
// It prints one JSON summary line and exits 1 when a check fails. soak.test.ts runs the same
// routine (runSoak) for a short while in CI, against the sources.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';

/** Default model: the embedded igpt-mnist-16 folder of @imagegpt/model-mnist-16. */
export const DEFAULT_MODEL_DIR = mnistCausalUrl;

/** A full collection on demand, without asking the caller to start node with --expose-gc. */
function exposeGc() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

const mib = (bytes) => Number((bytes / 2 ** 20).toFixed(1));

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Collects twice with turns of the event loop between, so finalizers of dead objects run. */
async function settle(gc) {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
}

/**
 * Wraps a backend to count what it hands out: sessions created and not yet disposed, runs, and
 * output tensors still reachable (tracked with a FinalizationRegistry, so "live" means the garbage
 * collector has not yet found them unreachable).
 */
export function countingBackend(inner) {
  const counts = {
    sessionsCreated: 0,
    sessionsLive: 0,
    runs: 0,
    runsInFlight: 0,
    tensorsReturned: 0,
    tensorsLive: 0,
  };
  const registry = new FinalizationRegistry(() => {
    counts.tensorsLive--;
  });
  const backend = {
    name: `counting(${inner.name})`,
    async createSession(artifact, options) {
      const session = await inner.createSession(artifact, options);
      counts.sessionsCreated++;
      counts.sessionsLive++;
      let disposed = false;
      const counted = async (call) => {
        counts.runs++;
        counts.runsInFlight++;
        try {
          const out = await call();
          for (const tensor of Object.values(out)) {
            counts.tensorsReturned++;
            counts.tensorsLive++;
            registry.register(tensor, undefined);
          }
          return out;
        } finally {
          counts.runsInFlight--;
        }
      };
      const wrapped = {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds, fetches) => counted(() => session.run(feeds, fetches)),
        async dispose() {
          if (!disposed) counts.sessionsLive--;
          disposed = true;
          await session.dispose();
        },
      };
      return wrapped;
    },
  };
  return { backend, counts };
}

/**
 * Counts decoders the model's runner hands out and how many were disposed, by wrapping
 * `runner.createDecoder` on this one instance.
 */
export function countDecoders(model) {
  const counts = { created: 0, disposed: 0 };
  const runner = model.runner;
  const create = runner.createDecoder.bind(runner);
  runner.createDecoder = (batchSize) => {
    const decoder = create(batchSize);
    counts.created++;
    const dispose = decoder.dispose.bind(decoder);
    let done = false;
    decoder.dispose = () => {
      if (!done) counts.disposed++;
      done = true;
      dispose();
    };
    return decoder;
  };
  return counts;
}

/**
 * Runs `n` sampled generations (after `warmup` more) of one model instance and measures RSS after
 * the warm-up and after the n (`options.confirm`: see below). `api` supplies the classes (from the build or from the sources).
 * Returns the measurements and the list of failed checks (empty when all passed).
 */
export async function runSoak(api, options = {}) {
  const n = options.n ?? 500;
  const warmup = options.warmup ?? 20;
  const maxGrowth = options.maxGrowth ?? 0.05;
  const log = options.log ?? (() => {});
  const gc = exposeGc();

  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(String(reason?.stack ?? reason));
  process.on('unhandledRejection', onUnhandled);
  try {
    const { backend, counts: backendCounts } = countingBackend(
      api.createNodeBackend({ threads: options.threads }),
    );
    const model = await api.ImageGPTForCausalImageModeling.fromPretrained(
      options.modelDir ?? DEFAULT_MODEL_DIR,
      { backend },
    );
    const decoders = countDecoders(model);
    const generateOne = (seed) =>
      model.generate({
        doSample: true,
        seed,
        topK: seed % 3 === 0 ? 8 : undefined,
        temperature: 1 + (seed % 5) / 10,
      });

    const first = (await generateOne(0)).sequences;
    for (let i = 1; i < warmup; i++) await generateOne(i);
    await settle(gc);
    const atWarmup = process.memoryUsage();
    const sessionsAfterWarmup = backendCounts.sessionsCreated;
    const samples = [];
    let generated = 0;
    /** n sampled generations, with a raw RSS sample every tenth of them; returns RSS after a GC. */
    const round = async (label) => {
      for (let i = 0; i < n; i++) {
        const { sequences, images } = await generateOne(warmup + generated);
        generated++;
        if (sequences[0]?.length !== model.config.nPositions + 1 || images?.length !== 1) {
          throw new Error(
            `generation ${generated}: got ${sequences[0]?.length} tokens and ${images?.length} images`,
          );
        }
        if ((i + 1) % Math.max(1, Math.floor(n / 10)) === 0) {
          await settle(gc);
          samples.push(Math.round(process.memoryUsage().rss / 2 ** 20));
          log(`  ${label}${i + 1}/${n} generations, RSS ${samples.at(-1)} MiB`);
        }
      }
      await settle(gc);
      return process.memoryUsage();
    };
    const start = performance.now();
    const atEnd = await round('');
    const seconds = (performance.now() - start) / 1000;
    const growth = (atEnd.rss - atWarmup.rss) / atWarmup.rss;
    // A short run cannot tell a one-off step (the allocator or V8 sizing itself up) from a leak.
    // With `confirm`, growth over the limit earns one more round from the new level: a leak grows
    // about as much again, a step does not. The full soak runs without it.
    let confirmGrowth;
    if (options.confirm === true && growth > maxGrowth) {
      log(`  RSS grew ${(growth * 100).toFixed(2)}%; one more round to see whether it levels off`);
      const atConfirm = await round('confirming: ');
      confirmGrowth = (atConfirm.rss - atEnd.rss) / atEnd.rss;
    }
    // The same seed at the end gives the same image as at the start: nothing drifted or leaked state.
    const last = (await generateOne(0)).sequences;
    const decodersLive = decoders.created - decoders.disposed;
    const tensorsLiveBeforeDispose = backendCounts.tensorsLive;
    await model.dispose();
    await settle(gc);

    const failures = [];
    const percent = (x) => `${(x * 100).toFixed(2)}%`;
    if (confirmGrowth !== undefined) {
      if (confirmGrowth > maxGrowth) {
        failures.push(
          `RSS grew ${percent(growth)} after warm-up and ${percent(confirmGrowth)} more in the confirming round, over ${maxGrowth * 100}% each`,
        );
      }
    } else if (growth > maxGrowth) {
      failures.push(`RSS grew ${percent(growth)} after warm-up, over ${maxGrowth * 100}%`);
    }
    if (unhandled.length > 0) failures.push(`${unhandled.length} unhandled rejections: ${unhandled[0]}`);
    if (decoders.created !== generated + warmup + 1)
      failures.push(`${decoders.created} decoders for ${generated + warmup + 1} generations`);
    if (decodersLive !== 0) failures.push(`${decodersLive} decoders were never disposed`);
    if (backendCounts.sessionsCreated !== sessionsAfterWarmup) {
      failures.push(
        `${backendCounts.sessionsCreated - sessionsAfterWarmup} sessions opened after warm-up, expected none`,
      );
    }
    if (backendCounts.sessionsLive !== 0)
      failures.push(`${backendCounts.sessionsLive} sessions live after dispose`);
    if (backendCounts.runsInFlight !== 0) failures.push(`${backendCounts.runsInFlight} runs still in flight`);
    // Tensors from the last step of the last generation may still be unswept; anything like the
    // hundreds of thousands returned over the run means something holds on to them.
    if (backendCounts.tensorsLive > 100)
      failures.push(`${backendCounts.tensorsLive} output tensors still reachable after dispose`);
    if (JSON.stringify(first) !== JSON.stringify(last))
      failures.push('seed 0 gave a different image at the end than at the start');

    return {
      generations: generated,
      warmup,
      seconds: Number(seconds.toFixed(1)),
      msPerGeneration: Number(((seconds * 1000) / n).toFixed(1)),
      // Memory after warm-up and at the end of the measured round (the confirming one aside).
      rssAfterWarmupMiB: mib(atWarmup.rss),
      rssEndMiB: mib(atEnd.rss),
      rssGrowthPercent: Number((growth * 100).toFixed(2)),
      confirmGrowthPercent:
        confirmGrowth === undefined ? undefined : Number((confirmGrowth * 100).toFixed(2)),
      heapAfterWarmupMiB: mib(atWarmup.heapUsed),
      heapEndMiB: mib(atEnd.heapUsed),
      // What V8 has committed (young and old generations) and what array buffers hold outside it,
      // so growth in RSS can be told apart: V8 sizing itself up, buffers, or native memory.
      heapCommittedMiB: [mib(atWarmup.heapTotal), mib(atEnd.heapTotal)],
      arrayBuffersMiB: [mib(atWarmup.arrayBuffers), mib(atEnd.arrayBuffers)],
      rssSamplesMiB: samples,
      unhandledRejections: unhandled.length,
      decodersCreated: decoders.created,
      decodersLive,
      sessionsCreated: backendCounts.sessionsCreated,
      sessionsLive: backendCounts.sessionsLive,
      runs: backendCounts.runs,
      tensorsReturned: backendCounts.tensorsReturned,
      tensorsLiveBeforeDispose,
      tensorsLiveAfterDispose: backendCounts.tensorsLive,
      failures,
    };
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1];
}

async function main() {
  const api = await import('../dist/index.js');
  const n = Number(argument('n', '500'));
  const warmup = Number(argument('warmup', '20'));
  const threads = argument('threads', undefined);
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(warmup) || warmup < 1) {
    console.error(
      'usage: node packages/node/scripts/soak.mjs [--n 500] [--warmup 20] [--threads N] [--model DIR]',
    );
    process.exit(2);
  }
  console.error(`soak: ${n} generations after ${warmup} warm-up ones`);
  const result = await runSoak(api, {
    n,
    warmup,
    threads: threads === undefined ? undefined : Number(threads),
    modelDir: argument('model', undefined),
    maxGrowth: Number(argument('max-growth', '0.05')),
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(result));
  if (result.failures.length > 0) {
    for (const failure of result.failures) console.error(`soak: FAIL ${failure}`);
    process.exit(1);
  }
  console.error('soak: all checks passed');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
