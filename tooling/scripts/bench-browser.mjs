#!/usr/bin/env node
// `pnpm bench:browser`: the browser rows of the Performance page, measured in headless Chromium
// (Debian's, /usr/bin/chromium or CHROMIUM_PATH, with the browser tests' flags) beside Node at the
// same thread counts, on the same machine, in one run. It prints every figure, the ratios the
// targets are about, and each target as met or missed; the JSON goes to apps/cli/bench-results/.
// It measures and never fails on a figure: a missed target is a line in the table, not an exit code.
//
// Models: the embedded igpt-mnist-16 and a random-weight model of iGPT-small's shape (the one
// `pnpm bench` builds, seed 1), written to a temporary folder and served like any model folder.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@imagegpt/test-kit';
import { CHROMIUM_ARGS, fail, startServer, withChromium } from './browser/harness.mjs';
import { WEBGPU_ARGS } from './browser/scenarios/webgpu.mjs';

const root = REPO_ROOT;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath))
  fail(`no Chromium at ${chromiumPath} (install it with \`apt-get install -y chromium\`)`);
for (const dir of ['packages/web/dist', 'packages/node/dist', 'apps/cli/dist'])
  if (!existsSync(join(root, dir))) fail(`${dir} is missing; run \`pnpm build\` first`);
const quick = process.argv.includes('--quick');

const web = join(root, 'packages', 'web');
const requireWeb = createRequire(join(web, 'package.json'));
const { chromium } = requireWeb('playwright-core');
const vite = await import(pathToFileURL(requireWeb.resolve('vite')).href);
const node = await import(pathToFileURL(join(root, 'packages', 'node', 'dist', 'index.js')).href);
const bench = await import(pathToFileURL(join(root, 'apps', 'cli', 'dist', 'bench', 'index.js')).href);
const graph = await import(pathToFileURL(join(root, 'packages', 'core', 'dist', 'graph', 'index.js')).href);
const log = (line) => console.error(`bench:browser: ${line}`);
const started = performance.now();

// The page: @imagegpt/web's build, bundled as an app would bundle it.
log('building the bench page');
const page = join(web, 'test', 'bench');
await vite.build({
  root: page,
  base: '/',
  configFile: false,
  logLevel: 'warn',
  resolve: { alias: { '@imagegpt/web': join(web, 'dist', 'index.js') } },
  worker: { format: 'es' },
  build: {
    outDir: join(page, 'dist'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 100_000,
  },
});

// iGPT-small's shape with random weights, as a model folder.
log('writing random iGPT-small weights (seed 1)');
const smallConfig = bench.igptSmallConfig(quick);
const smallDir = mkdtempSync(join(tmpdir(), 'igpt-bench-browser-'));
const checkpoint = bench.randomImageGPTCheckpoint(smallConfig, 1);
writeFileSync(join(smallDir, 'config.json'), smallConfig.toJSONString());
writeFileSync(
  join(smallDir, 'model.safetensors'),
  node.writeSafetensors(
    checkpoint.names().map((name) => ({
      name,
      dtype: 'F32',
      shape: checkpoint.get(name).shape,
      data: checkpoint.float32(name),
    })),
    { format: 'pt' },
  ),
);
const server = await startServer([
  ['/models/', join(root, 'packages', 'models', 'assets')],
  ['/small/', smallDir],
  ['/ort/', join(web, 'node_modules', 'onnxruntime-web', 'dist')],
  ['/', join(page, 'dist')],
]);

/** Positions whose steps are timed: a prefix of P tokens is fed (timed), then STEPS steps after it. */
const PREFIXES = quick ? [10, 40] : [10, 500, 960];
const STEPS = quick ? 4 : 12;
const THREADS = [1, 2];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The same measurement as the page's decodeSteps, in Node (onnxruntime-node, `threads` threads). */
async function nodeDecode(threads) {
  const model = await node.ImageGPTForCausalImageModeling.fromPretrained(smallDir, { threads });
  const V1 = model.config.vocabSize - 1;
  const out = [];
  try {
    for (const prefix of PREFIXES) {
      const decoder = model.runner.createDecoder(1);
      let seed = 12345;
      const next = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % V1;
      };
      const row = [model.config.sosTokenId, ...Array.from({ length: prefix - 1 }, next)];
      const t0 = performance.now();
      let logits = await decoder.next([row]);
      const prefixMs = performance.now() - t0;
      const stepMs = [];
      for (let s = 0; s < STEPS; s++) {
        let best = 0;
        for (let k = 1; k < V1; k++) if (logits[k] > logits[best]) best = k;
        const t = performance.now();
        logits = await decoder.next([[best]]);
        stepMs.push(performance.now() - t);
      }
      decoder.dispose();
      out.push({ prefix, prefixMs, stepMs: median(stepMs) });
    }
  } finally {
    await model.dispose();
  }
  return out;
}

/** One MatMul of a prefix through a Conv1D: [M, K] activations by a constant [K, N] weight. */
const GEMM = { m: quick ? 64 : 960, k: 512, n: 2048, runs: quick ? 2 : 5 };
const gemmGflops = (ms) => (2 * GEMM.m * GEMM.k * GEMM.n) / ms / 1e6;

/** The page's gemm() in Node: the same graph on onnxruntime-node with `threads` threads. */
async function nodeGemm(threads) {
  const { m, k, n } = GEMM;
  const g = new graph.GraphBuilder('gemm');
  const a = g.input('a', 1, [m, k]);
  const w = g.addInitializer(
    'w',
    [k, n],
    Float32Array.from({ length: k * n }, (_, i) => ((i % 97) - 48) / 480),
  );
  g.op('MatMul', [a, w], {}, 'y');
  g.output('y', 1, [m, n]);
  const session = await node.createNodeBackend({ threads }).createSession(g.toArtifact(), { threads });
  const feeds = {
    a: { type: 'float32', dims: [m, k], data: Float32Array.from({ length: m * k }, (_, i) => (i % 13) / 13) },
  };
  try {
    const times = [];
    for (let i = 0; i < GEMM.runs + 2; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      if (i >= 2) times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    await session.dispose();
  }
}

async function openPage(context, query = '') {
  const p = context.pages()[0] ?? (await context.newPage());
  p.setDefaultTimeout(600_000);
  const logs = [];
  p.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  p.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  await p.goto(`${server.origin}/index.html${query}`);
  await p.waitForFunction(() => document.title === 'ready', undefined, { timeout: 120_000 }).catch(() => {});
  if ((await p.title()) !== 'ready') fail(`the bench page did not start:\n${logs.join('\n')}`);
  return p;
}

// `--chromium-arg=FLAG` (repeatable) adds a flag to every Chromium launch, for experiments such as
// `--chromium-arg=--js-flags=--no-liftoff` (optimize all WebAssembly up front: no tiering up).
const extraArgs = process.argv.filter((a) => a.startsWith('--chromium-arg=')).map((a) => a.slice(15));
const profile = (name) => ({ executablePath: chromiumPath, profilePrefix: `igpt-bench-${name}-`, extraArgs });
const results = {
  date: new Date().toISOString(),
  quick,
  chromium: 'unknown',
  node: process.version,
  small: [],
  embedded: {},
  compile: {},
  loadSplit: {},
  worker: {},
  webgpu: {},
};

try {
  // 1. iGPT-small, steps and prefix feeding: Chromium wasm and Node at 1 and 2 threads.
  for (const threads of THREADS) {
    log(`iGPT-small in Node, ${threads} thread(s)`);
    const inNode = await nodeDecode(threads);
    log(`iGPT-small in Chromium (wasm), ${threads} thread(s)`);
    const inChromium = await withChromium(chromium, profile('small'), async (context) => {
      results.chromium = context.browser()?.version() ?? results.chromium;
      const p = await openPage(context);
      const loaded = await p.evaluate(
        ([t]) =>
          window.igptBench.load({ url: '/small/', threads: t, ...(t > 1 ? { wasmPaths: '/ort/' } : {}) }),
        [threads],
      );
      const rows = [];
      for (const prefix of PREFIXES) {
        const r = await p.evaluate(
          ([pp, st]) => window.igptBench.decodeSteps({ prefix: pp, steps: st }),
          [prefix, STEPS],
        );
        rows.push({
          prefix,
          prefixMs: r.prefixMs,
          stepMs: median(r.stepMs),
          bytesInPerStep: r.bytesInPerStep,
          bytesOutPerStep: r.bytesOutPerStep,
          cacheBytes: r.cacheBytes,
        });
      }
      await p.evaluate(() => window.igptBench.dispose());
      const gemmMs = await p.evaluate(
        ([spec, t]) =>
          window.igptBench.gemm({ ...spec, threads: t, ...(t > 1 ? { wasmPaths: '/ort/' } : {}) }),
        [GEMM, threads],
      );
      return { loadMs: loaded.ms, rows, gemmMs };
    });
    const nodeGemmMs = await nodeGemm(threads);
    results.small.push({
      threads,
      node: inNode,
      chromium: inChromium,
      gemm: { node: nodeGemmMs, chromium: inChromium.gemmMs },
    });
  }

  // 2. The embedded model after a cold page load (fresh profile: nothing cached), then image after image.
  log('embedded model: cold page load, first image and warmed ones');
  results.embedded = await withChromium(chromium, profile('embedded'), async (context) => {
    const p = await openPage(context, '?autoload=/models/igpt-mnist-16/');
    const loaded = await p.evaluate(() => window.igptBench.autoload);
    const msPerToken = await p.evaluate((n) => window.igptBench.images({ count: n }), quick ? 2 : 5);
    const nav = await p.evaluate(() => {
      const [n] = performance.getEntriesByType('navigation');
      return { domContentLoaded: n?.domContentLoadedEventEnd ?? 0 };
    });
    return { readyMs: loaded.sinceNavigation, fromPretrainedMs: loaded.ms, ...nav, msPerToken };
  });

  // 2b. What compiling onnxruntime-web's wasm build costs on its own (a fresh profile again).
  log("onnxruntime-web's wasm build: download and compile alone");
  results.compile = await withChromium(chromium, profile('compile'), async (context) => {
    const p = await openPage(context);
    return p.evaluate(() => window.igptBench.compileWasm('/ort/ort-wasm-simd-threaded.wasm'));
  });
  results.loadSplit = await withChromium(chromium, profile('split'), async (context) => {
    const p = await openPage(context);
    return p.evaluate(() => window.igptBench.loadSplit('/models/igpt-mnist-16/'));
  });

  // 3. The docs demo's work through ImageGPTWorker: the page's longest task while it generates.
  log('embedded model in ImageGPTWorker: main-thread tasks during generation');
  results.worker = await withChromium(chromium, profile('worker'), async (context) => {
    const p = await openPage(context);
    return p.evaluate(() => window.igptBench.workerGeneration('/models/igpt-mnist-16/'));
  });

  // 4. WebGPU (SwiftShader, a CPU implementation: its speed means nothing): what each step moves.
  log('embedded model on WebGPU (SwiftShader): bytes per step');
  results.webgpu = await withChromium(
    chromium,
    { ...profile('webgpu'), extraArgs: [...extraArgs, ...WEBGPU_ARGS] },
    async (context) => {
      const p = await openPage(context);
      const loaded = await p
        .evaluate(() => window.igptBench.load({ url: '/models/igpt-mnist-16/', device: 'webgpu' }))
        .catch((e) => ({ error: String(e.message ?? e) }));
      if ('error' in loaded) return loaded;
      const r = await p.evaluate(() => window.igptBench.decodeSteps({ prefix: 100, steps: 16 }));
      return { cacheOnDevice: loaded.cacheOnDevice, ...r, stepMs: median(r.stepMs) };
    },
  );
} finally {
  server.close();
  rmSync(smallDir, { recursive: true, force: true });
}

// The report: figures, ratios, targets.
const f = (x, d = 2) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const lines = [
  `Chromium ${results.chromium} (headless, ${[...CHROMIUM_ARGS, ...extraArgs].join(' ')}), Node ${process.version}${quick ? ' (QUICK smoke run: figures are not meaningful)' : ''}`,
  '',
];
lines.push(
  '| iGPT-small fp32, batch 1 | threads | Node | Chromium wasm | × Node |',
  '| --- | ---: | ---: | ---: | ---: |',
);
const targets = [];
for (const { threads, node: n, chromium: c } of results.small) {
  n.forEach((row, i) => {
    const w = c.rows[i];
    lines.push(
      `| ms/step near position ${row.prefix + STEPS / 2} | ${threads} | ${f(row.stepMs)} | ${f(w.stepMs)} | ${f(w.stepMs / row.stepMs)} |`,
    );
  });
  const last = n.length - 1;
  lines.push(
    `| feeding a ${n[last].prefix}-token prefix, ms | ${threads} | ${f(n[last].prefixMs, 0)} | ${f(c.rows[last].prefixMs, 0)} | ${f(c.rows[last].prefixMs / n[last].prefixMs)} |`,
  );
  const gm = results.small.find((x) => x.threads === threads)?.gemm;
  if (gm !== undefined)
    lines.push(
      `| one prefix GEMM [${GEMM.m}×${GEMM.k}]·[${GEMM.k}×${GEMM.n}], ms (GFLOP/s) | ${threads} | ${f(gm.node)} (${f(gemmGflops(gm.node), 0)}) | ${f(gm.chromium)} (${f(gemmGflops(gm.chromium), 0)}) | ${f(gm.chromium / gm.node)} |`,
    );
  const worstStep = Math.max(...n.map((row, i) => c.rows[i].stepMs / row.stepMs));
  targets.push({
    target: `wasm ms/step <= 1.5x Node at every position (${threads} thread${threads > 1 ? 's' : ''})`,
    figure: `${f(worstStep)}x (worst position)`,
    met: worstStep <= 1.5,
  });
  const prefixRatio = c.rows[last].prefixMs / n[last].prefixMs;
  targets.push({
    target: `wasm prefix feeding <= 2x Node (${n[last].prefix} tokens, ${threads} thread${threads > 1 ? 's' : ''})`,
    figure: `${f(prefixRatio)}x`,
    met: prefixRatio <= 2,
  });
}
const late = results.small[0]?.chromium.rows.at(-1);
if (late !== undefined) {
  const copies = late.bytesInPerStep / late.cacheBytes;
  lines.push(
    '',
    `Bytes copied into wasm memory per step near position ${late.prefix + STEPS / 2}: ${f(late.bytesInPerStep / 2 ** 20, 1)} MiB in, ${f(late.bytesOutPerStep / 2 ** 10, 1)} KiB out; the KV cache is ${f(late.cacheBytes / 2 ** 20, 1)} MiB (${f(copies)} copies of it per step)`,
  );
  targets.push({
    target: 'wasm: at most one copy of the KV cache per step',
    figure: `${f(copies)} copies (${f(late.bytesInPerStep / 2 ** 20, 1)} MiB in per step)`,
    met: copies <= 1.1,
  });
}
const e = results.embedded;
const warmed = Math.min(...e.msPerToken.slice(1));
lines.push(
  '',
  `Embedded model, cold page load (empty cache): ready ${f(e.readyMs, 0)} ms after navigation (fromPretrained ${f(e.fromPretrainedMs, 0)} ms); ms/token of images 1..${e.msPerToken.length}: ${e.msPerToken.map((x) => f(x)).join(', ')}`,
);
if (results.compile.ms !== undefined)
  lines.push(
    `onnxruntime-web's wasm build alone (${f(results.compile.bytes / 2 ** 20, 1)} MiB), downloaded and compiled in a fresh profile: ${f(results.compile.ms, 0)} ms; the embedded model's load in another: starting onnxruntime-web ${f(results.loadSplit.startRuntimeMs, 0)} ms, then fromPretrained ${f(results.loadSplit.fromPretrainedMs, 0)} ms`,
  );
targets.push({
  target: 'embedded model ready <= 1.2 s after a cold page load',
  figure: `${f(e.readyMs / 1e3)} s`,
  met: e.readyMs <= 1200,
});
targets.push({
  target: 'first image within 1.5x of a warmed one (embedded, wasm)',
  figure: `${f(e.msPerToken[0] / warmed)}x (${f(e.msPerToken[0])} vs ${f(warmed)} ms/token)`,
  met: e.msPerToken[0] / warmed <= 1.5,
});
const w = results.worker;
lines.push(
  `ImageGPTWorker (the docs demo's work, 4 digits): loaded in ${f(w.loadMs, 0)} ms, generated in ${f(w.generateMs, 0)} ms with ${w.rows} rows painted; longest main-thread task ${f(w.longestTaskMs, 0)} ms (${w.longTasks} of 50 ms or more), longest gap between 1 ms ticks ${f(w.maxGapMs, 0)} ms`,
);
const longest = Math.max(w.longestTaskMs, w.maxGapMs);
targets.push({
  target: 'longest main-thread task during generation <= 50 ms (model in ImageGPTWorker)',
  figure: `${f(longest, 0)} ms`,
  met: longest <= 50,
});
const g = results.webgpu;
if ('error' in g) lines.push(`WebGPU: not measured (${g.error})`);
else {
  lines.push(
    `WebGPU (SwiftShader), embedded model near position 108: cache on the GPU ${g.cacheOnDevice}; per step ${f(g.bytesInPerStep / 2 ** 10, 1)} KiB up, ${f(g.bytesOutPerStep / 2 ** 10, 2)} KiB read back (the logits), ${f(g.deviceOutputsPerStep, 0)} cache tensors kept on the GPU; the cache is ${f(g.cacheBytes / 2 ** 10, 0)} KiB`,
  );
  const cacheBack = Math.max(0, g.bytesOutPerStep - g.logitBytes);
  targets.push({
    target: 'WebGPU: zero KV-cache bytes read back per step',
    figure: `${f(cacheBack, 0)} bytes (${f(g.bytesOutPerStep, 0)} bytes back per step, all logits)`,
    met: g.cacheOnDevice && cacheBack === 0,
  });
}
lines.push('', '| target | figure | |', '| --- | --- | --- |');
for (const t of targets) lines.push(`| ${t.target} | ${t.figure} | ${t.met ? 'met' : 'missed'} |`);
console.log(lines.join('\n'));

const outDir = join(root, 'apps', 'cli', 'bench-results');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, `bench-browser-${results.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
console.log(`\nwrote ${out} in ${((performance.now() - started) / 1e3).toFixed(0)} s`);
