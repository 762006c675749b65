#!/usr/bin/env node
// Browser tests, run by `npm test` after vitest (tooling/scripts/run.mjs). The tfjs habit: the SAME
// conformance suite as Node's (runConformance over every public golden case, both weight formats)
// runs through @imagegpt/web in a real Chromium, plus greedy/seeded generation compared token for
// token with Node, a Web Worker, the image conversions, and the docs site's live demo.
//
// Needs Debian's Chromium at /usr/bin/chromium (or CHROMIUM_PATH). Without it this prints one line
// and exits 0, unless IGPT_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
// Everything is served from 127.0.0.1 only; Chromium gets a fresh profile and no network services.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { goldenCases, goldenDir } from './golden-cases.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.IGPT_REQUIRE_BROWSER === '1';

if (!existsSync(chromiumPath)) {
  const line = `browser tests skipped: no Chromium at ${chromiumPath} (install it with \`apt-get install -y chromium\`)`;
  if (required) {
    console.error(`${line.replace('skipped', 'FAILED')}; IGPT_REQUIRE_BROWSER=1 requires them`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

const paths = {
  web: join(root, 'packages', 'web'),
  page: join(root, 'packages', 'web', 'test', 'browser'),
  pageDist: join(root, 'packages', 'web', 'test', 'browser', 'dist'),
  golden: goldenDir(),
  models: join(root, 'packages', 'models', 'assets'),
  ort: join(root, 'packages', 'web', 'node_modules', 'onnxruntime-web', 'dist'),
  docs: join(root, 'apps', 'docs'),
  docsDist: join(root, 'apps', 'docs', '.vitepress', 'dist'),
  artifacts: join(root, 'test-artifacts'),
};
// Every case of the golden set, found from the data; pending ones are asserted to fail.
const CASES = goldenCases();
const GOLDEN_CASES = CASES.map((c) => c.name);
const PENDING_CASES = new Set(CASES.filter((c) => c.pending !== undefined).map((c) => c.name));
const SEED = 1234;

const results = [];
/** Records one assertion; the run fails at the end if any failed. */
function check(name, pass, detail) {
  results.push({ name, pass, detail });
  console.log(`${pass ? 'pass' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
}

const t0 = performance.now();
/** Logs how long the run has taken so far, so a slow phase is visible in CI logs. */
function phase(name) {
  console.log(`browser tests: ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

function fail(message) {
  console.error(`browser tests FAILED: ${message}`);
  process.exit(1);
}

if (!existsSync(paths.golden))
  fail(`golden data missing at ${paths.golden} (../shared/golden beside the repository)`);
for (const pkg of ['config', 'core', 'processor', 'heads', 'web', 'node']) {
  if (!existsSync(join(root, 'packages', pkg, 'dist', 'index.js')))
    fail(`packages/${pkg}/dist is missing; run \`npm run build\` first`);
}

const requireWeb = createRequire(join(paths.web, 'package.json'));
const { chromium } = requireWeb('playwright-core');
const vite = await import(pathToFileURL(requireWeb.resolve('vite')).href);

// ---------------------------------------------------------------------------------------------
// 1. Build the test page: @imagegpt/web as published (its dist), bundled by vite for browsers.

phase('building the test page');
await vite.build({
  root: paths.page,
  base: '/',
  configFile: false,
  logLevel: 'warn',
  resolve: { alias: { '@imagegpt/web': join(paths.web, 'dist', 'index.js') } },
  worker: { format: 'es' },
  build: { outDir: paths.pageDist, emptyOutDir: true, assetsInlineLimit: 0, chunkSizeWarningLimit: 100_000 },
});

// ---------------------------------------------------------------------------------------------
// 2. The docs site, when apps/docs exists: built here so the demo is tested as visitors get it.

phase('building the docs');
let docsBuilt = false;
if (existsSync(join(paths.docs, 'package.json'))) {
  const r = spawnSync(process.execPath, [join(paths.docs, 'scripts', 'build.mjs')], {
    cwd: paths.docs,
    stdio: 'inherit',
    env: { ...process.env, DOCS_BASE: '/docs/' },
  });
  if (r.status !== 0) fail('the docs build (apps/docs/scripts/build.mjs) failed');
  docsBuilt = true;
}

// ---------------------------------------------------------------------------------------------
// 3. A static server on loopback, cross-origin isolated so wasm threads are possible.

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};
const mounts = [
  ['/golden/', paths.golden],
  ['/models/', paths.models],
  ['/ort/', paths.ort],
  ['/docs/', paths.docsDist],
  ['/', paths.pageDist],
];

function fileFor(urlPath) {
  for (const [prefix, dir] of mounts) {
    if (!urlPath.startsWith(prefix)) continue;
    const rel = decodeURIComponent(urlPath.slice(prefix.length));
    const full = normalize(join(dir, rel));
    if (full !== dir && !full.startsWith(dir + sep)) return undefined;
    for (const candidate of [full, join(full, 'index.html'), `${full}.html`]) {
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
    return undefined;
  }
  return undefined;
}

/** Requests per path, so a check can tell a download from a Cache API hit. */
const requestCounts = new Map();
const requestsFor = (method, path) => requestCounts.get(`${method} ${path}`) ?? 0;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const key = `${req.method} ${url.pathname}`;
  requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1);
  const file = fileFor(url.pathname);
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  if (file === undefined) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
    res.end('not found');
    return;
  }
  const body = readFileSync(file);
  res.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(body.length),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---------------------------------------------------------------------------------------------
// 4. Node's side: the same generations through @imagegpt/node, for token-for-token comparison.

phase('generating in Node');
const node = await import(pathToFileURL(join(root, 'packages', 'node', 'dist', 'index.js')).href);
const modelDir = join(paths.models, 'igpt-mnist-16');
async function nodeGenerate(options, threads) {
  const model = await node.ImageGPTForCausalImageModeling.fromPretrained(modelDir, { threads });
  try {
    await model.generate({ doSample: true, seed: 1, maxLength: 1 + 16 }); // warm-up, as in the browser
    const started = performance.now();
    const { sequences } = await model.generate(options);
    const ms = performance.now() - started;
    return { sequences, msPerToken: ms / (16 * 16) };
  } finally {
    await model.dispose();
  }
}
const nodeGreedy = await nodeGenerate({ doSample: false, numReturnSequences: 1 }, 1);
const nodeSampled = await nodeGenerate({ doSample: true, seed: SEED, numReturnSequences: 2 }, 1);
const nodeTiming = {
  threads1: nodeGreedy.msPerToken,
  threadsAll: (await nodeGenerate({ doSample: false }, undefined)).msPerToken,
};

// ---------------------------------------------------------------------------------------------
// 5. Chromium.

/** Opens the test page with `query` and waits until it is ready; returns the page and its console. */
async function openTestPage(ctx, query, what) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const logs = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  page.setDefaultTimeout(300_000);
  await page.goto(`${origin}/index.html?${query}`);
  await page
    .waitForFunction(() => document.title === 'ready' || document.title === 'error', undefined, {
      timeout: 60_000,
    })
    .catch(() => {});
  if ((await page.title()) !== 'ready') fail(`${what} did not start:\n${logs.join('\n')}`);
  return { page, logs };
}

/** A check that two token lists are equal, naming the first difference when not. */
function checkTokens(name, got, want) {
  check(name, JSON.stringify(got) === JSON.stringify(want), firstDiff(got, want));
}

/** One check per conformance report, naming the first failed outputs. */
function checkConformance(reports, label) {
  for (const r of reports) {
    if (PENDING_CASES.has(r.case)) {
      // Pending (tooling/scripts/golden-cases.mjs): it must still fail, or leave the pending list.
      check(`${label} ${r.case} (${r.weights ?? 'processor'}) still fails (pending)`, !r.pass, r.error);
      continue;
    }
    const failed = r.outputs
      .filter((o) => !o.pass)
      .map((o) => `${o.name}: ${o.note ?? `maxAbsErr ${o.maxAbsErr}, mismatches ${o.mismatches}`}`);
    check(
      `${label} ${r.case} (${r.weights ?? 'processor'}) ${r.outputs.length - failed.length}/${r.outputs.length}`,
      r.pass,
      failed.slice(0, 3).join('; '),
    );
  }
}

phase('starting Chromium');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const profile = mkdtempSync(join(tmpdir(), 'igpt-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: CHROMIUM_ARGS,
});
const report = {
  origin,
  chromium: context.browser()?.version() ?? 'unknown',
  node: process.version,
  timings: {},
};
mkdirSync(paths.artifacts, { recursive: true });

try {
  const { page, logs } = await openTestPage(context, 'threads=1', 'the test page');
  report.crossOriginIsolated = await page.evaluate(() => window.igpt.crossOriginIsolated);

  phase('conformance in Chromium');
  // The conformance suite, every public case, both weight formats.
  const reports = await page.evaluate(
    ([cases]) => window.igpt.conformance(cases, ['safetensors', 'bin']),
    [GOLDEN_CASES],
  );
  report.conformance = reports;
  checkConformance(reports, 'conformance');
  const expectedRuns = CASES.reduce((n, c) => n + (c.kind === 'model' ? 2 : 1), 0);
  check(
    `conformance covered ${reports.length} case runs`,
    reports.length === expectedRuns,
    `expected ${expectedRuns}`,
  );

  phase('generation in Chromium');
  // Generation: tokens equal Node's, greedy and seeded sampling; rows stream through onRow.
  const greedy = await page.evaluate(() =>
    window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1 }),
  );
  checkTokens('greedy tokens equal Node (igpt-mnist-16, 256 tokens)', greedy.sequences, nodeGreedy.sequences);
  check('onRow streamed all 16 rows', greedy.rowsSeen === 16, `saw ${greedy.rowsSeen}`);
  const sampled = await page.evaluate(
    (seed) => window.igpt.generate({ seed, doSample: true, numReturnSequences: 2 }),
    SEED,
  );
  checkTokens(`sampled tokens (seed ${SEED}, 2 rows) equal Node`, sampled.sequences, nodeSampled.sequences);
  const timed = await page.evaluate(() =>
    window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1, repeats: 3 }),
  );
  report.timings = {
    chromiumWasmThreads1MsPerToken: timed.msPerToken,
    nodeThreads1MsPerToken: nodeTiming.threads1,
    nodeAllCoresMsPerToken: nodeTiming.threadsAll,
  };

  // Threads: cross-origin isolated, with onnxruntime-web's own files served for its thread workers.
  const threaded = await context.newPage();
  threaded.setDefaultTimeout(300_000);
  await threaded.goto(`${origin}/index.html?threads=2&wasmPaths=/ort/`);
  await threaded.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 });
  const twoThreads = await threaded.evaluate(() =>
    window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1, repeats: 3 }),
  );
  checkTokens('greedy tokens with 2 wasm threads equal Node', twoThreads.sequences, nodeGreedy.sequences);
  report.timings.chromiumWasmThreads2MsPerToken = twoThreads.msPerToken;
  await threaded.close();

  const checks = await page.evaluate(() => window.igpt.imageChecks());
  for (const c of checks) check(`image io: ${c.name}`, c.pass, c.pass ? undefined : c.detail);

  // The Cache API in a real browser: two loads of the embedded model, one download of its files.
  const weightsPath = '/models/igpt-mnist-16/model.safetensors';
  const downloadsBefore = requestsFor('GET', weightsPath);
  const cached = await page.evaluate(() => window.igpt.cacheCheck('igpt-browser-test'));
  const downloads = requestsFor('GET', weightsPath) - downloadsBefore;
  check(
    'Cache API: two loads of the embedded model download its weights once',
    downloads === 1 && cached.cachedUrls.includes(weightsPath),
    `${downloads} downloads; cached: ${cached.cachedUrls.join(', ')}`,
  );
  check(
    'Cache API: the cached model gives the same greedy tokens, equal to Node',
    cached.sameTokens &&
      JSON.stringify(cached.tokens[0]) === JSON.stringify(nodeGreedy.sequences[0]?.slice(0, 33)),
    firstDiff(
      cached.tokens,
      nodeGreedy.sequences.map((r) => r.slice(0, 33)),
    ),
  );

  const inWorker = await page.evaluate(() => window.igpt.worker());
  check(
    '@imagegpt/web runs in a Web Worker (no document there)',
    inWorker.hasDocument === false && inWorker.sequences[0]?.length === 65,
    `${inWorker.sequences[0]?.length} tokens`,
  );

  await page.screenshot({ path: join(paths.artifacts, 'browser-conformance.png'), fullPage: true });
  report.pageLogs = logs;

  // The docs' live demo: generate with a fixed seed, the canvas must show ink and the tokens equal Node's.
  if (docsBuilt) {
    phase('docs demo');
    const demo = await context.newPage();
    const demoLogs = [];
    demo.on('console', (m) => demoLogs.push(`[${m.type()}] ${m.text()}`));
    demo.on('pageerror', (e) => demoLogs.push(`[pageerror] ${e.message}`));
    demo.setDefaultTimeout(300_000);
    await demo.goto(`${origin}/docs/demo.html`);
    await demo
      .waitForFunction(
        () => document.querySelector('[data-demo-state]')?.getAttribute('data-demo-state') === 'ready',
        undefined,
        { timeout: 120_000 },
      )
      .catch(() => {});
    const state = await demo.getAttribute('[data-demo-state]', 'data-demo-state').catch(() => null);
    if (state !== 'ready')
      fail(`the docs demo did not become ready (state ${state}):\n${demoLogs.join('\n')}`);
    await demo.fill('[data-demo-seed]', String(SEED));
    // Count the frames the page paints while it generates: a page that streams rows paints at least
    // once per row; one whose main thread is held by the model paints once, at the end.
    await demo.evaluate(() => {
      window.__frames = 0;
      const tick = () => {
        window.__frames++;
        if (document.querySelector('[data-demo-state]')?.getAttribute('data-demo-state') !== 'done')
          requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await demo.click('[data-demo-generate]');
    await demo.waitForFunction(
      () => document.querySelector('[data-demo-state]')?.getAttribute('data-demo-state') === 'done',
      undefined,
      { timeout: 300_000 },
    );
    const frames = await demo.evaluate(() => window.__frames);
    check('docs demo paints while it generates (streams row by row)', frames >= 16, `${frames} frames`);
    const demoTokens = JSON.parse(
      (await demo.getAttribute('[data-demo-tokens]', 'data-demo-tokens')) ?? '[]',
    );
    const nodeDemo = await nodeGenerate(
      { doSample: true, seed: SEED, numReturnSequences: demoTokens.length || 1 },
      1,
    );
    check(
      `docs demo tokens (seed ${SEED}) equal Node`,
      demoTokens.length > 0 && JSON.stringify(demoTokens) === JSON.stringify(nodeDemo.sequences),
      firstDiff(demoTokens, nodeDemo.sequences),
    );
    const ink = await demo.evaluate((selector) => {
      const canvas = document.querySelector(selector);
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let bright = 0;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) data[i] > 128 ? bright++ : dark++;
      return { bright, dark };
    }, '[data-demo-canvas]');
    check(
      'docs demo canvas is not blank',
      ink.bright > 0 && ink.dark > 0,
      `${ink.bright} bright / ${ink.dark} dark pixels`,
    );

    // Complete a drawn stroke: a vertical bar in the top half, then the model draws the rest.
    await demo.locator('[data-demo-pad]').scrollIntoViewIfNeeded();
    const pad = await demo.locator('[data-demo-pad]').boundingBox();
    await demo.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * 0.1);
    await demo.mouse.down();
    for (let i = 1; i <= 10; i++)
      await demo.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * (0.1 + i * 0.04));
    await demo.mouse.up();
    await demo.click('[data-demo-complete]');
    await demo.waitForFunction(
      () => document.querySelector('[data-demo-completed]')?.getAttribute('data-demo-completed') === '1',
      undefined,
      { timeout: 300_000 },
    );
    const completed = await demo.evaluate(() => {
      const canvas = document.querySelector('[data-demo-completions]');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const w = canvas.width;
      let topBright = 0;
      for (let y = 0; y < canvas.height / 2; y++)
        for (let x = 0; x < w; x++) if (data[(y * w + x) * 4] > 128) topBright++;
      return {
        topBright,
        state: document.querySelector('[data-demo-state]').getAttribute('data-demo-state'),
      };
    });
    check(
      'docs demo completes a drawn digit (kept rows shown in every completion)',
      completed.state === 'done' && completed.topBright > 0,
      `${completed.topBright} bright pixels in the kept half, state ${completed.state}`,
    );
    // A viewport as tall as the page, so the sticky navigation bar is drawn once at the top
    // rather than stitched into the middle of a full-page capture.
    const height = await demo.evaluate(() => document.documentElement.scrollHeight);
    await demo.setViewportSize({ width: 1280, height: Math.min(height, 4000) });
    await demo.evaluate(() => window.scrollTo(0, 0));
    await demo.screenshot({ path: join(paths.artifacts, 'docs-demo.png') });
    report.demoLogs = demoLogs;
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// 6. WebGPU: the same suite on onnxruntime-web's WebGPU execution provider. Our machines have no
// GPU; Chromium's SwiftShader adapter (a WebGPU implementation on the CPU) runs the real WebGPU
// code path: shaders, buffers, the provider's kernels. Speed on it means nothing.

phase('WebGPU (SwiftShader) in Chromium');
const gpuProfile = mkdtempSync(join(tmpdir(), 'igpt-chromium-webgpu-'));
const gpuContext = await chromium.launchPersistentContext(gpuProfile, {
  executablePath: chromiumPath,
  headless: true,
  args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
});
try {
  const { page, logs } = await openTestPage(gpuContext, 'threads=1&device=webgpu', 'the WebGPU test page');
  const device = await page.evaluate(() =>
    window.igpt.device().catch((e) => ({ device: 'none', error: String(e.message ?? e) })),
  );
  report.webgpu = { device };
  if (device.device !== 'webgpu') {
    // This Chromium gives no WebGPU adapter: say so plainly; the wasm checks above still ran.
    console.log(`WebGPU checks skipped: no adapter in this Chromium (${device.error ?? device.device})`);
  } else {
    const reports = await page.evaluate(
      ([cases]) => window.igpt.conformance(cases, ['safetensors']),
      [CASES.filter((c) => c.kind === 'model').map((c) => c.name)],
    );
    report.webgpu.conformance = reports;
    checkConformance(reports, `WebGPU (${device.adapter}) conformance`);
    const greedy = await page.evaluate(() =>
      window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1 }),
    );
    checkTokens(
      'WebGPU greedy tokens equal Node (igpt-mnist-16, 256 tokens)',
      greedy.sequences,
      nodeGreedy.sequences,
    );
    report.timings.chromiumWebGpuSwiftShaderMsPerToken = greedy.msPerToken;
    const after = await page.evaluate(() => window.igpt.device());
    check(
      "WebGPU: onnxruntime-web's WebGPU backend made a GPU device (no silent wasm fallback)",
      after.webgpuBackendStarted === true,
      JSON.stringify(after),
    );
  }
  report.webgpu.logs = logs.slice(0, 50);
} finally {
  await gpuContext.close();
  server.close();
  rmSync(gpuProfile, { recursive: true, force: true });
}

report.results = results;
writeFileSync(join(paths.artifacts, 'browser-report.json'), `${JSON.stringify(report, null, 2)}\n`);
const t = report.timings;
if (t.chromiumWasmThreads1MsPerToken !== undefined) {
  console.log(
    `time per token, igpt-mnist-16, batch 1: Chromium wasm 1 thread ${t.chromiumWasmThreads1MsPerToken.toFixed(2)} ms, ` +
      `2 threads ${t.chromiumWasmThreads2MsPerToken?.toFixed(2)} ms; ` +
      `Node onnxruntime-node 1 thread ${t.nodeThreads1MsPerToken.toFixed(2)} ms, all cores ${t.nodeAllCoresMsPerToken.toFixed(2)} ms`,
  );
}
const failed = results.filter((r) => !r.pass).length;
console.log(
  `artifacts: ${join('test-artifacts', 'browser-conformance.png')}, ${join('test-artifacts', 'browser-report.json')}`,
);
console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

function firstDiff(a, b) {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (!Array.isArray(a) || !Array.isArray(b)) return 'not comparable';
  for (let r = 0; r < Math.max(a.length, b.length); r++) {
    const x = a[r] ?? [];
    const y = b[r] ?? [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if (x[i] !== y[i]) return `row ${r} first differs at token ${i}: browser ${x[i]}, node ${y[i]}`;
    }
  }
  return `${a.length} vs ${b.length} rows`;
}
