// The browser half of tooling/scripts/browser-tests.mjs: the same conformance suite as Node's, run
// through @imagegpt/web (onnxruntime-web wasm, fetch, canvas decoding) in a real Chromium. The
// script drives it through `window.igpt` and checks the JSON it returns.
import { jpegMarkersWithScans } from '@imagegpt/test-kit/hostile-bytes';
import {
  type ConformanceReport,
  createWebBackend,
  DirectoryHandleSink,
  decodeImage,
  FetchFileSource,
  type ImageGPTBackend,
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
  ImageGPTWorker,
  isDeviceTensor,
  runConformance,
  toImageData,
  toRawImage,
} from '@imagegpt/web';
// The same onnxruntime-web instance @imagegpt/web uses (one copy in the bundle): read to prove that
// its WebGPU backend, not a silent wasm fallback, started.
import * as ort from 'onnxruntime-web';
import { observedBackend } from '../observed-backend.js';

/** A conformance report, or a failed one with the error when the case could not be run. */
export type CaseReport = ConformanceReport & { error?: string };

/** One generation run: tokens and timing, for comparison with Node. */
export interface GenerationRun {
  sequences: number[][];
  rowsSeen: number;
  msPerToken: number;
  tokens: number;
}

/** One in-page check of the image conversions. */
export interface Check {
  name: string;
  pass: boolean;
  detail?: string;
}

/** What the page offers the test script. */
export interface BrowserSuite {
  crossOriginIsolated: boolean;
  threads: number;
  conformance(cases: string[], formats: ('safetensors' | 'bin')[]): Promise<CaseReport[]>;
  generate(options: {
    seed: number;
    doSample: boolean;
    numReturnSequences: number;
    repeats?: number;
  }): Promise<GenerationRun>;
  imageChecks(): Promise<Check[]>;
  worker(): Promise<{ sequences: number[][]; hasDocument: boolean }>;
  /**
   * The embedded model through ImageGPTWorker (the package's own worker): greedy tokens, the rows
   * streamed back, and how often this page itself started WebAssembly meanwhile (0 when the model
   * runs in the worker).
   */
  hostedWorker(maxLength: number): Promise<{ sequences: number[][]; rows: number; pageWasmCalls: number }>;
  /** The device the backend resolved to, and the WebGPU adapter's description when there is one. */
  device(): Promise<{ device: 'wasm' | 'webgpu'; adapter?: string; webgpuBackendStarted?: boolean }>;
  /**
   * Loads a golden classifier case, saves it into the origin-private file system and reads the
   * files back: their SHA-256 digests and texts, and the error of a second save without force.
   */
  saveCheck(caseName: string): Promise<{
    written: string[];
    sha256: Record<string, string>;
    texts: Record<string, string>;
    again: string;
  }>;
  /**
   * Greedy decoding of `steps` tokens on the page's backend, counting per step the bytes that came
   * back to JS and the outputs that stayed on the device.
   */
  decodeTraffic(steps: number): Promise<{
    cacheOnDevice: boolean;
    bytesBack: number[];
    deviceOutputs: number[];
    logitBytes: number;
  }>;
  /** Loads the embedded model twice through the Cache API (the named cache emptied first). */
  cacheCheck(cacheName: string): Promise<{ cachedUrls: string[]; sameTokens: boolean; tokens: number[][] }>;
  /**
   * Loads a hub id twice from a stand-in hub (its endpoint given) through the Cache API: the
   * commit it resolved to, the cached URLs and the greedy tokens of each load.
   */
  hubCheck(
    endpoint: string,
    repo: string,
    token: string,
  ): Promise<{ cachedUrls: string[]; sameTokens: boolean; tokens: number[][]; error?: string }>;
}

declare global {
  interface Window {
    igpt: BrowserSuite;
  }
}

const params = new URLSearchParams(location.search);
const threads = Number(params.get('threads') ?? '1');
// Threads > 1 need onnxruntime-web's own `.mjs` served as a file (its pthread workers load it by
// URL; a bundle cannot be re-entered as a worker), hence `?wasmPaths=/ort/` for threaded runs.
const wasmPaths = params.get('wasmPaths') ?? undefined;
// `?device=webgpu` runs the same suite on onnxruntime-web's WebGPU execution provider.
const device = params.get('device') === 'webgpu' ? 'webgpu' : 'wasm';
const backend = createWebBackend({
  device,
  threads,
  ...(wasmPaths === undefined ? {} : { wasmPaths }),
});
const status = document.getElementById('status')!;

function row(table: string, cells: string[], pass: boolean): void {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  const td = document.createElement('td');
  td.textContent = pass ? 'pass' : 'FAIL';
  td.className = pass ? 'pass' : 'fail';
  tr.append(td);
  document.getElementById(table)!.append(tr);
}

async function conformance(cases: string[], formats: ('safetensors' | 'bin')[]): Promise<CaseReport[]> {
  const reports: CaseReport[] = [];
  for (const name of cases) {
    const files = new FetchFileSource(new URL(`/golden/${name}/`, location.href), { cache: false });
    const isModel = await files.exists('config.json');
    for (const weights of isModel ? formats : [undefined]) {
      status.textContent = `conformance: ${name} ${weights ?? ''}`;
      // An unreadable case (or one the code cannot run yet) is a failed report, not a thrown page.
      const report = await runConformance(files, {
        backend,
        ...(weights === undefined ? {} : { weights }),
        decodeImage: (bytes, source) => decodeImage(bytes, { source }),
      }).catch(
        (e: unknown): CaseReport => ({
          case: name,
          kind: isModel ? 'model' : 'processor',
          weights: weights ?? null,
          pass: false,
          outputs: [],
          error: String((e as Error).message ?? e),
        }),
      );
      reports.push(report);
      const passed = report.outputs.filter((o) => o.pass).length;
      row('results', [report.case, report.weights ?? '-', `${passed}/${report.outputs.length}`], report.pass);
    }
  }
  status.textContent = 'conformance done';
  return reports;
}

let model: Promise<ImageGPTForCausalImageModeling> | undefined;

async function generateDigits(options: {
  seed: number;
  doSample: boolean;
  numReturnSequences: number;
  repeats?: number;
}): Promise<GenerationRun> {
  model ??= ImageGPTForCausalImageModeling.fromPretrained(new URL('/models/igpt-mnist-16/', location.href), {
    backend,
    cache: false,
  });
  const m = await model;
  const side = 16;
  const box = document.getElementById('samples')!;
  const canvases = Array.from({ length: options.numReturnSequences }, () => {
    const c = document.createElement('canvas');
    c.width = side * 6;
    c.height = side * 6;
    box.append(c);
    return c;
  });
  let rowsSeen = 0;
  let result: { sequences: number[][] } | undefined;
  const repeats = options.repeats ?? 1;
  const started = performance.now();
  for (let r = 0; r < repeats; r++) {
    result = await m.generate({
      doSample: options.doSample,
      seed: options.seed,
      numReturnSequences: options.numReturnSequences,
      onRow: ({ pixels }) => {
        rowsSeen++;
        pixels.forEach((p, i) => {
          const image = m.processor!.decode(
            Int32Array.from({ length: side * side }, (_, j) => p[j] ?? 0),
            { width: side, height: side },
          );
          canvases[i]!.getContext('2d')!.putImageData(toImageData(image, { scale: 6 }), 0, 0);
        });
      },
    });
  }
  const elapsed = performance.now() - started;
  const tokens = repeats * side * side;
  return { sequences: result!.sequences, rowsSeen, msPerToken: elapsed / tokens, tokens };
}

async function imageChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const expect = (name: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
    const pass = got.length === want.length && Array.from(want).every((v, i) => got[i] === v);
    checks.push(
      pass
        ? { name, pass }
        : {
            name,
            pass,
            detail: `got [${Array.from(got).slice(0, 12)}…], want [${Array.from(want).slice(0, 12)}…]`,
          },
    );
  };
  const w = 3;
  const h = 2;
  const rgba = Uint8ClampedArray.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
  expect('toRawImage(ImageData)', (await toRawImage(new ImageData(rgba, w, h))).data, rgba);
  expect('toRawImage(HTMLCanvasElement)', (await toRawImage(canvas)).data, rgba);
  const offscreen = new OffscreenCanvas(w, h);
  offscreen.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
  expect('toRawImage(OffscreenCanvas)', (await toRawImage(offscreen)).data, rgba);
  const bitmap = await createImageBitmap(canvas);
  expect('toRawImage(ImageBitmap)', (await toRawImage(bitmap)).data, rgba);
  const png = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'));
  expect('toRawImage(Blob png)', (await toRawImage(png)).data, rgba);
  const img = new Image();
  img.src = URL.createObjectURL(png);
  await img.decode();
  expect('toRawImage(HTMLImageElement)', (await toRawImage(img)).data, rgba);
  const grey = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([7, 250]) };
  expect('toImageData(grey)', toImageData(grey).data, [7, 7, 7, 255, 250, 250, 250, 255]);
  const broken = await decodeImage(new Uint8Array([1, 2, 3]), { source: 'junk.png' }).then(
    () => 'no error',
    (e: Error) => e.message,
  );
  checks.push({
    name: 'decodeImage(junk) throws ImageError naming the source',
    pass: broken.startsWith('junk.png: '),
    detail: broken,
  });
  // The limits read from the bytes before the browser decodes: a JPEG's scans, a PNG's side.
  const refusal = (input: Blob, options: Parameters<typeof toRawImage>[1]) =>
    toRawImage(input, options).then(
      () => 'no error',
      (e: Error) => `${e.name}: ${e.message}`,
    );
  const scans = await refusal(new Blob([jpegMarkersWithScans(8192, 8192, 3529)]), { source: 'scans.jpg' });
  checks.push({
    name: 'toRawImage(Blob jpeg of 3,529 scans) refused before decoding (maxScans)',
    pass:
      scans ===
      'ImageError: scans.jpg: a JPEG of more than 100 scans, over the limit of 100 (maxScans; a photo has about 10)',
    detail: scans,
  });
  const wide = await refusal(png, { source: 'wide.png', maxSide: 2 });
  checks.push({
    name: 'toRawImage(Blob png 3x2) refused by a lowered maxSide',
    pass: wide === 'ImageError: wide.png: 3x2 has a side of 3 pixels, over the limit of 2 (maxSide)',
    detail: wide,
  });
  const jpeg = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/jpeg'));
  const decodedJpeg = await toRawImage(jpeg);
  checks.push({
    name: "toRawImage(Blob jpeg) from the browser's encoder is within the limits",
    pass: decodedJpeg.width === w && decodedJpeg.height === h,
    detail: `${decodedJpeg.width}x${decodedJpeg.height}`,
  });
  const missing = await new FetchFileSource(new URL('/golden/no-such-case/', location.href), { cache: false })
    .read('config.json')
    .then(
      () => 'no error',
      (e: Error) => e.message,
    );
  checks.push({
    name: 'FetchFileSource 404 names the URL and status',
    pass: /^GET http:\/\/127\.0\.0\.1:\d+\/golden\/no-such-case\/config\.json: HTTP 404/.test(missing),
    detail: missing,
  });
  for (const c of checks) row('checks', [c.name], c.pass);
  return checks;
}

function worker(): Promise<{ sequences: number[][]; hasDocument: boolean }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<{ sequences?: number[][]; hasDocument: boolean; error?: string }>) => {
      w.terminate();
      if (e.data.error !== undefined) reject(new Error(e.data.error));
      else resolve({ sequences: e.data.sequences!, hasDocument: e.data.hasDocument });
    };
    w.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
    w.postMessage({ modelUrl: new URL('/models/igpt-mnist-16/', location.href).href });
  });
}

async function hostedWorker(
  maxLength: number,
): Promise<{ sequences: number[][]; rows: number; pageWasmCalls: number }> {
  // Count this page's own WebAssembly starts: onnxruntime-web compiles its module through these.
  let pageWasmCalls = 0;
  const wasm = WebAssembly as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = ['instantiate', 'instantiateStreaming', 'compile', 'compileStreaming'].map(
    (name) => [name, wasm[name]!] as const,
  );
  for (const [name, original] of originals) {
    wasm[name] = (...args: unknown[]) => {
      pageWasmCalls++;
      return original.apply(WebAssembly, args);
    };
  }
  const worker = new ImageGPTWorker();
  try {
    const model = await worker.ImageGPTForCausalImageModeling.fromPretrained(
      new URL('/models/igpt-mnist-16/', location.href),
      { cache: false },
    );
    let rows = 0;
    const { sequences } = await model.generate({ doSample: false, maxLength, onRow: () => rows++ });
    await model.dispose();
    return { sequences, rows, pageWasmCalls };
  } finally {
    worker.terminate();
    for (const [name, original] of originals) wasm[name] = original;
  }
}

async function deviceInUse(): Promise<{
  device: 'wasm' | 'webgpu';
  adapter?: string;
  webgpuBackendStarted?: boolean;
}> {
  const resolved = await backend.device();
  if (resolved !== 'webgpu') return { device: resolved };
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } })
    .gpu;
  const info = (await gpu?.requestAdapter())?.info ?? {};
  // onnxruntime-web resolves env.webgpu.device once its WebGPU backend has made a GPUDevice (after
  // the first WebGPU session); it stays pending when sessions fell back to wasm.
  const webgpuBackendStarted = await Promise.race([
    Promise.resolve(ort.env.webgpu.device).then((d) => d !== undefined),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
  ]);
  return {
    device: resolved,
    adapter: [info.vendor, info.architecture, info.description].filter(Boolean).join(' '),
    webgpuBackendStarted,
  };
}

/** The page's backend with every session's runs recorded: bytes back in JS memory, outputs left on the device. */
function recording(
  inner: ImageGPTBackend,
  runs: { bytesBack: number; deviceOutputs: number }[],
): ImageGPTBackend {
  return observedBackend(inner, (_feeds, out) => {
    let bytesBack = 0;
    let deviceOutputs = 0;
    for (const t of Object.values(out)) {
      if (isDeviceTensor(t)) deviceOutputs++;
      else bytesBack += t.data.byteLength;
    }
    runs.push({ bytesBack, deviceOutputs });
  });
}

async function decodeTraffic(steps: number) {
  const runs: { bytesBack: number; deviceOutputs: number }[] = [];
  const m = await ImageGPTForCausalImageModeling.fromPretrained(
    new URL('/models/igpt-mnist-16/', location.href),
    {
      backend: recording(backend, runs),
      cache: false,
    },
  );
  try {
    runs.length = 0;
    await m.generate({ doSample: false, maxLength: 1 + steps });
    return {
      cacheOnDevice: m.runner.cacheOnDevice,
      bytesBack: runs.map((r) => r.bytesBack),
      deviceOutputs: runs.map((r) => r.deviceOutputs),
      logitBytes: (m.config.vocabSize - 1) * 4,
    };
  } finally {
    await m.dispose();
  }
}

async function cacheCheck(
  cacheName: string,
): Promise<{ cachedUrls: string[]; sameTokens: boolean; tokens: number[][] }> {
  await caches.delete(cacheName);
  const url = new URL('/models/igpt-mnist-16/', location.href);
  const runs: number[][][] = [];
  // The first load downloads and stores every file; the second must be served from the cache.
  for (let i = 0; i < 2; i++) {
    const m = await ImageGPTForCausalImageModeling.fromPretrained(url, { backend, cache: cacheName });
    try {
      runs.push((await m.generate({ doSample: false, maxLength: 1 + 32 })).sequences);
    } finally {
      await m.dispose();
    }
  }
  const cache = await caches.open(cacheName);
  const cachedUrls = (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
  await caches.delete(cacheName);
  return { cachedUrls, sameTokens: JSON.stringify(runs[0]) === JSON.stringify(runs[1]), tokens: runs[0]! };
}

async function hubCheck(
  endpoint: string,
  repo: string,
  token: string,
): Promise<{ cachedUrls: string[]; sameTokens: boolean; tokens: number[][]; error?: string }> {
  const cacheName = 'igpt-hub-test';
  await caches.delete(cacheName);
  const runs: number[][][] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const m = await ImageGPTForCausalImageModeling.fromPretrained(repo, {
        backend,
        cache: cacheName,
        endpoint,
        token,
      });
      try {
        runs.push((await m.generate({ doSample: false, maxLength: 1 + 32 })).sequences);
      } finally {
        await m.dispose();
      }
    }
  } catch (e) {
    return { cachedUrls: [], sameTokens: false, tokens: [], error: String(e) };
  }
  const cache = await caches.open(cacheName);
  const cachedUrls = (await cache.keys()).map((r) => r.url).sort();
  await caches.delete(cacheName);
  return { cachedUrls, sameTokens: JSON.stringify(runs[0]) === JSON.stringify(runs[1]), tokens: runs[0]! };
}

async function saveCheck(caseName: string) {
  const model = await ImageGPTForImageClassification.fromPretrained(
    new URL(`/golden/${caseName}/`, location.href),
    {
      backend,
      cache: false,
    },
  );
  const root = await navigator.storage.getDirectory();
  await root.removeEntry('saved', { recursive: true }).catch(() => undefined);
  const folder = await root.getDirectoryHandle('saved', { create: true });
  try {
    const written = await model.savePretrained(folder);
    const sha256: Record<string, string> = {};
    const texts: Record<string, string> = {};
    for (const name of written) {
      const bytes = await (await (await folder.getFileHandle(name)).getFile()).arrayBuffer();
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      sha256[name] = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      if (name.endsWith('.json')) texts[name] = new TextDecoder().decode(bytes);
    }
    const again = await model.savePretrained(new DirectoryHandleSink(folder, 'saved')).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    row('checks', [`savePretrained ${caseName} into the origin-private file system`], written.length > 0);
    return { written, sha256, texts, again };
  } finally {
    await model.dispose();
    await root.removeEntry('saved', { recursive: true }).catch(() => undefined);
  }
}

window.igpt = {
  crossOriginIsolated: globalThis.crossOriginIsolated,
  threads,
  conformance,
  generate: generateDigits,
  imageChecks,
  worker,
  hostedWorker,
  decodeTraffic,
  device: deviceInUse,
  cacheCheck,
  hubCheck,
  saveCheck,
};
status.textContent = 'ready';
document.title = 'ready';
