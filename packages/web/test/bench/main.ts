// The browser half of `pnpm bench:browser` (tooling/scripts/bench-browser.mjs): loads models through
// @imagegpt/web and times what a user waits for. The script drives it through `window.igptBench`
// and prints the figures; nothing here judges them.

import { GraphBuilder } from '@imagegpt/core/graph';
import {
  createWebBackend,
  type ImageGPTBackend,
  ImageGPTForCausalImageModeling,
  ImageGPTWorker,
  isDeviceTensor,
  type SessionTensor,
  toImageData,
} from '@imagegpt/web';
import { observedBackend } from '../observed-backend.js';

/** Bytes that crossed between JS and the runtime in the runs so far, and outputs kept on the device. */
const traffic = { runs: 0, bytesIn: 0, bytesOut: 0, deviceOutputs: 0 };

const hostBytes = (tensors: Record<string, SessionTensor>) =>
  Object.values(tensors).reduce((n, t) => n + (isDeviceTensor(t) ? 0 : t.data.byteLength), 0);

/** `inner` with every run counted: host bytes fed (copied into wasm memory or uploaded) and returned. */
const counting = (inner: ImageGPTBackend): ImageGPTBackend =>
  observedBackend(inner, (feeds, out) => {
    traffic.runs++;
    traffic.bytesIn += hostBytes(feeds);
    traffic.bytesOut += hostBytes(out);
    traffic.deviceOutputs += Object.values(out).filter(isDeviceTensor).length;
  });

let model: ImageGPTForCausalImageModeling | undefined;

interface LoadOptions {
  url: string;
  threads?: number;
  wasmPaths?: string;
  device?: 'wasm' | 'webgpu';
}

/** Loads a causal model; ms for fromPretrained, and ms since the page's navigation started. */
async function load(options: LoadOptions) {
  const t0 = performance.now();
  const backend = createWebBackend({
    device: options.device ?? 'wasm',
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
  });
  model = await ImageGPTForCausalImageModeling.fromPretrained(new URL(options.url, location.href), {
    backend: counting(backend),
    cache: false,
  });
  return {
    ms: performance.now() - t0,
    sinceNavigation: performance.now(),
    cacheOnDevice: model.runner.cacheOnDevice,
  };
}

/**
 * Feeds a prefix of `prefix` tokens (timed: what `complete()` does first), then times `steps`
 * single greedy steps after it; with the bytes each step moved between JS and the runtime.
 */
async function decodeSteps(options: { prefix: number; steps: number }) {
  const m = model as ImageGPTForCausalImageModeling;
  const { config } = m;
  const V1 = config.vocabSize - 1;
  const decoder = m.runner.createDecoder(1);
  try {
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % V1;
    };
    const prefix = [config.sosTokenId, ...Array.from({ length: options.prefix - 1 }, next)];
    const t0 = performance.now();
    let logits = await decoder.next([prefix]);
    const prefixMs = performance.now() - t0;
    const before = { ...traffic };
    const stepMs: number[] = [];
    for (let s = 0; s < options.steps; s++) {
      let best = 0;
      for (let k = 1; k < V1; k++) if ((logits[k] as number) > (logits[best] as number)) best = k;
      const t = performance.now();
      logits = await decoder.next([[best]]);
      stepMs.push(performance.now() - t);
    }
    const runs = traffic.runs - before.runs;
    return {
      prefixMs,
      stepMs,
      bytesInPerStep: (traffic.bytesIn - before.bytesIn) / runs,
      bytesOutPerStep: (traffic.bytesOut - before.bytesOut) / runs,
      deviceOutputsPerStep: (traffic.deviceOutputs - before.deviceOutputs) / runs,
      /** The logits of one step, float32: all a step must return. */
      logitBytes: V1 * 4,
      /** K and V of every layer for the positions cached after the last step, float32. */
      cacheBytes: 2 * config.nLayer * config.nEmbd * (options.prefix + options.steps) * 4,
    };
  } finally {
    decoder.dispose();
  }
}

/**
 * What bounds feeding a prefix: one float32 MatMul of [m, k] activations by a constant [k, n]
 * weight (the shape of a prefix through one of iGPT-small's Conv1D layers), `runs` times after two
 * unmeasured ones, on a wasm backend with `threads` threads. Median ms.
 */
async function gemm(options: {
  m: number;
  k: number;
  n: number;
  runs: number;
  threads: number;
  wasmPaths?: string;
}) {
  const { m, k, n } = options;
  const g = new GraphBuilder('gemm');
  const a = g.input('a', 1, [m, k]);
  const w = g.addInitializer(
    'w',
    [k, n],
    Float32Array.from({ length: k * n }, (_, i) => ((i % 97) - 48) / 480),
  );
  g.op('MatMul', [a, w], {}, 'y');
  g.output('y', 1, [m, n]);
  const backend = createWebBackend({
    device: 'wasm',
    threads: options.threads,
    ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
  });
  const session = await backend.createSession(g.toArtifact());
  const feeds = {
    a: {
      type: 'float32' as const,
      dims: [m, k],
      data: Float32Array.from({ length: m * k }, (_, i) => (i % 13) / 13),
    },
  };
  try {
    const times: number[] = [];
    for (let i = 0; i < options.runs + 2; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      if (i >= 2) times.push(performance.now() - t0);
    }
    return [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)] as number;
  } finally {
    await session.dispose();
  }
}

/**
 * Downloads and compiles one WebAssembly file the way onnxruntime-web does (streaming), nothing
 * else: in a fresh browser profile, what compiling its build costs on its own. Ms and bytes.
 */
async function compileWasm(url: string) {
  const t0 = performance.now();
  const response = await fetch(url);
  const bytes = Number(response.headers.get('content-length') ?? 0);
  const module = await WebAssembly.compileStreaming(response);
  return { ms: performance.now() - t0, bytes, exports: WebAssembly.Module.exports(module).length };
}

/**
 * The embedded model's load split in two (for a fresh profile): starting onnxruntime-web (importing
 * its JS, compiling and instantiating its wasm, a one-node session: `backend.prepare()`), then
 * `fromPretrained` on that started backend (files, graph, session).
 */
async function loadSplit(url: string) {
  const t0 = performance.now();
  const backend = createWebBackend({ device: 'wasm' });
  await backend.prepare();
  const t1 = performance.now();
  const m = await ImageGPTForCausalImageModeling.fromPretrained(new URL(url, location.href), {
    backend,
    cache: false,
  });
  const t2 = performance.now();
  await m.dispose();
  return { startRuntimeMs: t1 - t0, fromPretrainedMs: t2 - t1 };
}

/** Generates `count` images one after another (greedy, batch 1): ms per token of each. */
async function images(options: { count: number }) {
  const m = model as ImageGPTForCausalImageModeling;
  const out: number[] = [];
  for (let i = 0; i < options.count; i++) {
    const t0 = performance.now();
    await m.generate({ doSample: false });
    out.push((performance.now() - t0) / m.config.nPositions);
  }
  return out;
}

async function dispose() {
  await model?.dispose();
  model = undefined;
}

/**
 * The docs demo's work through ImageGPTWorker: load the model in the worker, generate 4 digits while
 * the page paints each row. Returns the longest main-thread task seen during generation (the Long
 * Tasks API reports tasks of 50 ms and more) and the longest gap between this page's own 1 ms ticks
 * (which bounds any task, long or short).
 */
async function workerGeneration(url: string) {
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push(e.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  const worker = new ImageGPTWorker();
  const t0 = performance.now();
  const m = await worker.ImageGPTForCausalImageModeling.fromPretrained(new URL(url, location.href), {
    cache: false,
  });
  const loadMs = performance.now() - t0;
  const canvas = document.createElement('canvas');
  canvas.width = 4 * 16 * 8;
  canvas.height = 16 * 8;
  document.body.append(canvas);
  const context = canvas.getContext('2d') as CanvasRenderingContext2D;
  let maxGap = 0;
  let last = performance.now();
  let ticking = true;
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (ticking) setTimeout(() => channel.port2.postMessage(0), 1);
  };
  longTasks.length = 0;
  channel.port2.postMessage(0);
  const started = performance.now();
  let rows = 0;
  await m.generate({
    doSample: true,
    seed: 1234,
    numReturnSequences: 4,
    onRow: ({ pixels }) => {
      rows++;
      pixels.forEach((p, i) => {
        const image = m.processor?.decode(
          Int32Array.from({ length: 256 }, (_, j) => p[j] ?? 0),
          { width: 16, height: 16 },
        );
        if (image !== undefined) context.putImageData(toImageData(image, { scale: 8 }), i * 128, 0);
      });
    },
  });
  const generateMs = performance.now() - started;
  ticking = false;
  observer.disconnect();
  await m.dispose();
  worker.terminate();
  return {
    loadMs,
    generateMs,
    rows,
    longestTaskMs: Math.max(0, ...longTasks),
    longTasks: longTasks.length,
    maxGapMs: maxGap,
  };
}

declare global {
  interface Window {
    igptBench: {
      load: typeof load;
      decodeSteps: typeof decodeSteps;
      gemm: typeof gemm;
      compileWasm: typeof compileWasm;
      loadSplit: typeof loadSplit;
      images: typeof images;
      dispose: typeof dispose;
      workerGeneration: typeof workerGeneration;
      crossOriginIsolated: boolean;
      /** With `?autoload=URL`: the load that started with the page (its figures when it resolves). */
      autoload?: Promise<Awaited<ReturnType<typeof load>>>;
    };
  }
}

window.igptBench = {
  load,
  decodeSteps,
  gemm,
  compileWasm,
  loadSplit,
  images,
  dispose,
  workerGeneration,
  crossOriginIsolated: globalThis.crossOriginIsolated,
};
// A cold page load starts loading the model at once, as an app would.
const autoload = new URLSearchParams(location.search).get('autoload');
if (autoload !== null) window.igptBench.autoload = load({ url: autoload });
(document.getElementById('status') as HTMLElement).textContent = 'ready';
document.title = 'ready';
