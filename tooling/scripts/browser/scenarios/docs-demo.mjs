// The docs site's live demo, built here as visitors get it: generate with a fixed seed (the canvas
// shows ink, the page paints while it generates, the tokens equal Node's), then complete a drawn
// stroke.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fail, firstDiff } from '../harness.mjs';
import { SEED } from './node-reference.mjs';

/** Builds apps/docs under /docs/ when it exists; returns whether it was built. */
export function buildDocsSite(docsDir) {
  if (!existsSync(join(docsDir, 'package.json'))) return false;
  const r = spawnSync(process.execPath, [join(docsDir, 'scripts', 'build.mjs')], {
    cwd: docsDir,
    stdio: 'inherit',
    env: { ...process.env, DOCS_BASE: '/docs/' },
  });
  if (r.status !== 0) fail('the docs build (apps/docs/scripts/build.mjs) failed');
  return true;
}

/** Drives /docs/demo.html: generate, then complete a drawn digit; screenshots the page. */
export async function docsDemoScenario({ context, origin, checks, node, report, artifacts }) {
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
  if (state !== 'ready') fail(`the docs demo did not become ready (state ${state}):\n${demoLogs.join('\n')}`);
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
  checks.check('docs demo paints while it generates (streams row by row)', frames >= 16, `${frames} frames`);
  const demoTokens = JSON.parse((await demo.getAttribute('[data-demo-tokens]', 'data-demo-tokens')) ?? '[]');
  const nodeDemo = await node.generate(
    { doSample: true, seed: SEED, numReturnSequences: demoTokens.length || 1 },
    1,
  );
  checks.check(
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
  checks.check(
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
  checks.check(
    'docs demo completes a drawn digit (kept rows shown in every completion)',
    completed.state === 'done' && completed.topBright > 0,
    `${completed.topBright} bright pixels in the kept half, state ${completed.state}`,
  );
  // A viewport as tall as the page, so the sticky navigation bar is drawn once at the top
  // rather than stitched into the middle of a full-page capture.
  const height = await demo.evaluate(() => document.documentElement.scrollHeight);
  await demo.setViewportSize({ width: 1280, height: Math.min(height, 4000) });
  await demo.evaluate(() => window.scrollTo(0, 0));
  await demo.screenshot({ path: join(artifacts, 'docs-demo.png') });
  report.demoLogs = demoLogs;
}
