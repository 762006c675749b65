// Generation in Chromium: greedy and seeded tokens equal Node's, rows stream through onRow, the
// same with two wasm threads, and @imagegpt/web in a Web Worker.
import { SEED } from './node-reference.mjs';

/** Greedy and sampled tokens on one thread, the timing run, then two threads on a second page. */
export async function generationScenario({ context, page, origin, checks, node, report }) {
  const greedy = await page.evaluate(() =>
    window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1 }),
  );
  checks.tokens(
    'greedy tokens equal Node (igpt-mnist-16, 256 tokens)',
    greedy.sequences,
    node.greedy.sequences,
  );
  checks.check('onRow streamed all 16 rows', greedy.rowsSeen === 16, `saw ${greedy.rowsSeen}`);
  const sampled = await page.evaluate(
    (seed) => window.igpt.generate({ seed, doSample: true, numReturnSequences: 2 }),
    SEED,
  );
  checks.tokens(
    `sampled tokens (seed ${SEED}, 2 rows) equal Node`,
    sampled.sequences,
    node.sampled.sequences,
  );
  const timed = await page.evaluate(() =>
    window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1, repeats: 3 }),
  );
  report.timings = {
    chromiumWasmThreads1MsPerToken: timed.msPerToken,
    nodeThreads1MsPerToken: node.timing.threads1,
    nodeAllCoresMsPerToken: node.timing.threadsAll,
  };

  // Threads: cross-origin isolated, with onnxruntime-web's own files served for its thread workers.
  const threaded = await context.newPage();
  threaded.setDefaultTimeout(300_000);
  await threaded.goto(`${origin}/index.html?threads=2&wasmPaths=/ort/`);
  await threaded.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 });
  const twoThreads = await threaded.evaluate(() =>
    window.igpt.generate({ seed: 0, doSample: false, numReturnSequences: 1, repeats: 3 }),
  );
  checks.tokens('greedy tokens with 2 wasm threads equal Node', twoThreads.sequences, node.greedy.sequences);
  report.timings.chromiumWasmThreads2MsPerToken = twoThreads.msPerToken;
  await threaded.close();
}

/**
 * @imagegpt/web in a Web Worker: imported in a worker script of the page's own (no document there,
 * a full 65-token generation), and hosted by the package itself (ImageGPTWorker): generation runs in
 * the worker, not on the page, rows stream back, and the tokens are Node's.
 */
export async function workerScenario({ page, checks, node }) {
  const inWorker = await page.evaluate(() => window.igpt.worker());
  checks.check(
    '@imagegpt/web runs in a Web Worker (no document there)',
    inWorker.hasDocument === false && inWorker.sequences[0]?.length === 65,
    `${inWorker.sequences[0]?.length} tokens`,
  );
  const hosted = await page.evaluate(() => window.igpt.hostedWorker(1 + 16 * 4));
  checks.check(
    'ImageGPTWorker generates in its worker: the page started no WebAssembly, 4 rows streamed back',
    hosted.pageWasmCalls === 0 && hosted.rows === 4 && hosted.sequences[0]?.length === 65,
    `page WebAssembly calls ${hosted.pageWasmCalls}, rows ${hosted.rows}, ${hosted.sequences[0]?.length} tokens`,
  );
  checks.tokens(
    'ImageGPTWorker greedy tokens equal Node (first 65)',
    hosted.sequences,
    node.greedy.sequences.map((s) => s.slice(0, 65)),
  );
}
