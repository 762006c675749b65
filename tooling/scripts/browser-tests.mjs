#!/usr/bin/env node
// Browser tests, run by `npm test` after vitest (tooling/scripts/run.mjs). The tfjs habit: the SAME
// conformance suite as Node's (runConformance over every golden case, both weight formats) runs
// through @imagegpt/web in a real Chromium, plus greedy/seeded generation compared token for token
// with Node, a Web Worker, the image conversions, the Cache API, the docs site's live demo and
// WebGPU. The machinery (server, Chromium, page, checks, artifacts) is in ./browser/harness.mjs;
// what is checked is in ./browser/scenarios/.
//
// Needs Debian's Chromium at /usr/bin/chromium (or CHROMIUM_PATH). Without it this prints one line
// and exits 0, unless IGPT_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
// Everything is served from 127.0.0.1 only; Chromium gets a fresh profile and no network services.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { goldenCases, goldenDir, REPO_ROOT } from '@imagegpt/test-kit';
import {
  artifactsDir,
  Checks,
  fail,
  openTestPage,
  startServer,
  withChromium,
  writeReport,
} from './browser/harness.mjs';
import { cacheScenario } from './browser/scenarios/cache.mjs';
import { conformanceScenario } from './browser/scenarios/conformance.mjs';
import { buildDocsSite, docsDemoScenario } from './browser/scenarios/docs-demo.mjs';
import { docsPagesScenario } from './browser/scenarios/docs-pages.mjs';
import { generationScenario, workerScenario } from './browser/scenarios/generation.mjs';
import { hubScenario } from './browser/scenarios/hub.mjs';
import { imageChecksScenario } from './browser/scenarios/image-checks.mjs';
import { nodeReference } from './browser/scenarios/node-reference.mjs';
import { saveScenario } from './browser/scenarios/save.mjs';
import { WEBGPU_ARGS, webgpuScenario } from './browser/scenarios/webgpu.mjs';

const root = REPO_ROOT;
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

let golden;
try {
  golden = goldenDir();
} catch (e) {
  fail(e.message);
}
const paths = {
  web: join(root, 'packages', 'web'),
  page: join(root, 'packages', 'web', 'test', 'browser'),
  pageDist: join(root, 'packages', 'web', 'test', 'browser', 'dist'),
  golden,
  models: join(root, 'packages', 'models', 'assets'),
  ort: join(root, 'packages', 'web', 'node_modules', 'onnxruntime-web', 'dist'),
  docs: join(root, 'apps', 'docs'),
  docsDist: join(root, 'apps', 'docs', '.vitepress', 'dist'),
};
// Every case of the golden set, found from the data; pending ones are asserted to fail.
const cases = goldenCases();
for (const pkg of ['config', 'core', 'processor', 'heads', 'web', 'node']) {
  if (!existsSync(join(root, 'packages', pkg, 'dist', 'index.js')))
    fail(`packages/${pkg}/dist is missing; run \`npm run build\` first`);
}

const requireWeb = createRequire(join(paths.web, 'package.json'));
const { chromium } = requireWeb('playwright-core');
const vite = await import(pathToFileURL(requireWeb.resolve('vite')).href);
const checks = new Checks();

// 1. The test page: @imagegpt/web as published (its dist), bundled by vite for browsers.
checks.phase('building the test page');
await vite.build({
  root: paths.page,
  base: '/',
  configFile: false,
  logLevel: 'warn',
  resolve: { alias: { '@imagegpt/web': join(paths.web, 'dist', 'index.js') } },
  worker: { format: 'es' },
  build: { outDir: paths.pageDist, emptyOutDir: true, assetsInlineLimit: 0, chunkSizeWarningLimit: 100_000 },
});

// 2. The docs site, when apps/docs exists: built here so the demo is tested as visitors get it.
checks.phase('building the docs');
const docsBuilt = buildDocsSite(paths.docs);

// 3. A static server on loopback.
const server = await startServer([
  ['/golden/', paths.golden],
  ['/models/', paths.models],
  ['/ort/', paths.ort],
  ['/docs/', paths.docsDist],
  ['/', paths.pageDist],
]);
const { origin } = server;

// 4. Node's side: the same generations through @imagegpt/node, for token-for-token comparison.
checks.phase('generating in Node');
const node = await nodeReference(root, join(paths.models, 'igpt-mnist-16'));

// 5. Chromium (wasm).
checks.phase('starting Chromium');
const report = { origin, chromium: 'unknown', node: process.version, timings: {} };
const artifacts = artifactsDir(root);
const executablePath = chromiumPath;
await withChromium(chromium, { executablePath, profilePrefix: 'igpt-chromium-' }, async (context) => {
  report.chromium = context.browser()?.version() ?? 'unknown';
  const { page, logs } = await openTestPage(context, origin, 'threads=1', 'the test page');
  report.crossOriginIsolated = await page.evaluate(() => window.igpt.crossOriginIsolated);
  const scenario = { context, page, origin, server, checks, node, report, artifacts, cases, golden };

  checks.phase('conformance in Chromium');
  await conformanceScenario(scenario);
  checks.phase('generation in Chromium');
  await generationScenario(scenario);
  await imageChecksScenario(scenario);
  await cacheScenario(scenario);
  await hubScenario(scenario, join(paths.models, 'igpt-mnist-16'));
  await saveScenario(scenario);
  await workerScenario(scenario);
  await page.screenshot({ path: join(artifacts, 'browser-conformance.png'), fullPage: true });
  report.pageLogs = logs;

  if (docsBuilt) {
    checks.phase('docs demo');
    await docsDemoScenario(scenario);
    checks.phase('docs pages');
    await docsPagesScenario(scenario, paths.docsDist);
  }
});

// 6. WebGPU (SwiftShader), in its own Chromium.
checks.phase('WebGPU (SwiftShader) in Chromium');
try {
  await withChromium(
    chromium,
    { executablePath, profilePrefix: 'igpt-chromium-webgpu-', extraArgs: WEBGPU_ARGS },
    (context) => webgpuScenario({ context, origin, checks, node, report, cases }),
  );
} finally {
  server.close();
}

report.results = checks.results;
writeReport(artifacts, report);
const t = report.timings;
if (t.chromiumWasmThreads1MsPerToken !== undefined) {
  console.log(
    `time per token, igpt-mnist-16, batch 1: Chromium wasm 1 thread ${t.chromiumWasmThreads1MsPerToken.toFixed(2)} ms, ` +
      `2 threads ${t.chromiumWasmThreads2MsPerToken?.toFixed(2)} ms; ` +
      `Node onnxruntime-node 1 thread ${t.nodeThreads1MsPerToken.toFixed(2)} ms, all cores ${t.nodeAllCoresMsPerToken.toFixed(2)} ms`,
  );
}
console.log(
  `artifacts: ${join('test-artifacts', 'browser-conformance.png')}, ${join('test-artifacts', 'browser-report.json')}`,
);
console.log(`browser: ${checks.results.length - checks.failed} passed, ${checks.failed} failed`);
process.exit(checks.failed === 0 ? 0 : 1);
