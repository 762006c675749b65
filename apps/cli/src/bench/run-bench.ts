import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Checkpoint,
  ImageGPTConfig,
  ImageGPTForCausalImageModeling,
  ImageGPTImageProcessor,
  ImageGPTRunner,
  type ModelDType,
  type NodeBackend,
  readSafetensors,
  trainLinearProbe,
  writeSafetensors,
} from '@imagegpt/node';
import { type MachineLimits, measureMachine } from './machine.js';
import { randomImageGPTCheckpoint } from './random-checkpoint.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  readonly backend: NodeBackend;
  readonly threads: number;
  /** The embedded model's folder (config.json, model.safetensors). */
  readonly embeddedDir: string;
  /** A smoke run: tiny measurements, a reduced random model, no full images. */
  readonly quick?: boolean;
  /** Folder of the golden `small-causal` case, for the quantized logit error (skipped when absent). */
  readonly smallCausalDir?: string;
  /** MNIST held-out digits as token rows for bits per token (skipped when absent). */
  readonly heldOut?: readonly (readonly number[])[];
  readonly log?: (line: string) => void;
}

/** One decode measurement. */
export interface DecodeFigure {
  readonly model: string;
  readonly dtype: ModelDType;
  readonly batch: number;
  readonly steps: number;
  /** Wall time per step over the whole run, and per token (step / batch). */
  readonly msPerStep: number;
  readonly msPerToken: number;
  readonly tokensPerSecond: number;
  /** The bandwidth limit of the same steps: bytes read (weights + KV cache) / bandwidth. */
  readonly limitMsPerStep: number;
  readonly ratioToLimit: number;
  /** Median step time and its limit near given positions. */
  readonly near: readonly { position: number; msPerStep: number; limitMs: number; ratio: number }[];
}

/** Everything one bench run measures. */
export interface BenchResults {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: MachineLimits & { cpus: number; threads: number; cpuModel: string; node: string };
  readonly decode: DecodeFigure[];
  readonly prefill: {
    model: string;
    /** `fast`: the decoder's first step; `fused`/`reference`: `forward()` on that prefill graph. */
    graph: 'fast' | 'fused' | 'reference';
    batch: number;
    imagesPerSecond: number;
    gflops: number;
    fractionOfGemmPeak: number;
  }[];
  readonly processor: { imagesPerSecond: number; inputSide: number; side: number; clusters: number };
  /** L-BFGS linear probe on synthetic features shaped like iGPT-small's (512 wide). */
  readonly probe: { samples: number; dims: number; classes: number; iterations: number; seconds: number };
  readonly coldStart: { model: string; msToFirstToken: number }[];
  readonly quality: {
    dtype: ModelDType;
    bitsPerToken?: number;
    relativeToFp32?: number;
    maxLogitErrorSmallCausal?: number;
  }[];
}

const ALL_DTYPES: readonly ModelDType[] = ['fp32', 'fp16', 'q8', 'q4'];

/** iGPT-small's shape with a 512-colour vocabulary and 32×32 images. */
export function igptSmallConfig(quick: boolean): ImageGPTConfig {
  return ImageGPTConfig.preset('small', {
    vocab_size: 513,
    n_positions: 1024,
    ...(quick ? { n_layer: 2 } : {}),
  });
}

/** Bytes of the weights a decode step reads: every matrix (in its storage) plus norms and biases. */
export function weightBytesPerStep(config: ImageGPTConfig, dtype: ModelDType, blockSize = 32): number {
  const { nLayer: L, nEmbd: C, innerSize: I, vocabSize: V } = config;
  const matrix = L * (C * 3 * C + C * C + C * I + I * C) + C * (V - 1);
  const small = L * (2 * C + 3 * C + C + I + C) + C + 2 * C; // norms, biases, one wte and one wpe row
  const perValue = dtype === 'q8' ? 1 + 5 / blockSize : dtype === 'q4' ? 0.5 + 4.5 / blockSize : 4; // fp16 is widened at load
  return matrix * perValue + small * 4;
}

/** KV-cache bytes a step at `position` reads for `batch` rows (keys and values of positions 0..position). */
export function cacheBytesAt(config: ImageGPTConfig, batch: number, position: number): number {
  return 2 * config.nLayer * batch * (position + 1) * config.nEmbd * 4;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function timeDecode(
  runner: ImageGPTRunner,
  model: string,
  batch: number,
  steps: number,
  bandwidth: number,
  near: readonly number[],
): Promise<DecodeFigure> {
  const { config } = runner;
  const V1 = config.vocabSize - 1;
  const decoder = runner.createDecoder(batch);
  const times: number[] = [];
  let tokens = Array.from({ length: batch }, () => [config.sosTokenId]);
  try {
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      const logits = await decoder.next(tokens);
      times.push(performance.now() - t0);
      // Greedy argmax: the cheapest realistic next token.
      tokens = tokens.map((_, b) => {
        let best = 0;
        for (let k = 1; k < V1; k++)
          if ((logits[b * V1 + k] as number) > (logits[b * V1 + best] as number)) best = k;
        return [best];
      });
    }
  } finally {
    decoder.dispose();
  }
  const weights = weightBytesPerStep(config, runner.dtype);
  const limitAt = (p: number) => ((weights + cacheBytesAt(config, batch, p)) / (bandwidth * 1e9)) * 1e3;
  const total = times.reduce((a, b) => a + b, 0);
  let limitTotal = 0;
  for (let p = 0; p < steps; p++) limitTotal += limitAt(p);
  const msPerStep = total / steps;
  return {
    model,
    dtype: runner.dtype,
    batch,
    steps,
    msPerStep,
    msPerToken: msPerStep / batch,
    tokensPerSecond: (steps * batch * 1e3) / total,
    limitMsPerStep: limitTotal / steps,
    ratioToLimit: total / limitTotal,
    near: near
      .filter((p) => p < steps)
      .map((position) => {
        const window = times.slice(Math.max(1, position - 8), Math.min(steps, position + 9));
        const ms = median(window);
        return { position, msPerStep: ms, limitMs: limitAt(position), ratio: ms / limitAt(position) };
      }),
  };
}

/** Useful FLOPs of a causal forward over `tokens` positions per row: matrices plus causal attention. */
function forwardFlops(config: ImageGPTConfig, rows: number, tokens: number): number {
  const { nLayer: L, nEmbd: C, innerSize: I, vocabSize: V } = config;
  const matrix = L * (C * 3 * C + C * C + C * I + I * C) + C * (V - 1);
  const attention = L * 4 * C * ((tokens * (tokens + 1)) / 2);
  return rows * (2 * matrix * tokens + attention);
}

function randomTokens(rows: number, length: number, vocab: number, sos: number, seed: number): number[][] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  return Array.from({ length: rows }, () =>
    Array.from({ length }, (_, t) => (t === 0 ? sos : Math.floor(next() * (vocab - 1)))),
  );
}

async function timePrefill(
  options: BenchOptions,
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  model: string,
  batch: number,
  gemmPeak: number,
): Promise<BenchResults['prefill']> {
  const rows = randomTokens(batch, config.nPositions, config.vocabSize, config.sosTokenId, 7);
  const flops = forwardFlops(config, batch, config.nPositions);
  const out: BenchResults['prefill'][number][] = [];
  for (const graph of ['fast', 'fused', 'reference'] as const) {
    const runner = await ImageGPTRunner.create({
      backend: options.backend,
      config,
      checkpoint,
      head: 'causal',
      decoder: graph === 'reference' ? 'reference' : 'fast',
      prefill: graph === 'fused' ? 'fused' : 'reference',
    });
    try {
      // The fused session opens on the first forward: not part of the timing.
      if (graph === 'fused') await runner.forward([[config.sosTokenId]]);
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < (options.quick ? 1 : 2); r++) {
        const t0 = performance.now();
        if (graph === 'fast') {
          const decoder = runner.createDecoder(batch);
          await decoder.next(rows);
          decoder.dispose();
        } else {
          await runner.forward(rows);
        }
        best = Math.min(best, performance.now() - t0);
      }
      const gflops = flops / (best * 1e6);
      out.push({
        model,
        graph,
        batch,
        imagesPerSecond: (batch * 1e3) / best,
        gflops,
        fractionOfGemmPeak: gflops / gemmPeak,
      });
    } finally {
      await runner.dispose();
    }
  }
  return out;
}

async function timeProcessor(quick: boolean): Promise<BenchResults['processor']> {
  const side = 32;
  const inputSide = 224;
  let s = 12345;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const clusters = Array.from({ length: 512 }, () => [next() * 2 - 1, next() * 2 - 1, next() * 2 - 1]);
  const processor = ImageGPTImageProcessor.fromJSON({
    clusters,
    do_resize: true,
    do_normalize: true,
    do_color_quantize: true,
    resample: 2,
    size: { height: side, width: side },
  });
  const count = quick ? 4 : 64;
  const images = Array.from({ length: count }, () => ({
    width: inputSide,
    height: inputSide,
    channels: 3 as const,
    data: Uint8Array.from({ length: inputSide * inputSide * 3 }, () => Math.floor(next() * 256)),
  }));
  processor.encode(images.slice(0, 2));
  const t0 = performance.now();
  processor.encode(images);
  const ms = performance.now() - t0;
  return { imagesPerSecond: (count * 1e3) / ms, inputSide, side, clusters: 512 };
}

async function timeProbe(quick: boolean): Promise<BenchResults['probe']> {
  const classes = 10;
  const samples = quick ? 500 : 9000;
  const dims = quick ? 64 : 512;
  let s = 777;
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  // One Gaussian-ish blob per class (a sum of uniforms), so the probe has something to learn.
  const centres = Array.from({ length: classes }, () => Array.from({ length: dims }, () => next() * 2 - 1));
  const labels = Array.from({ length: samples }, (_, i) => i % classes);
  const features = labels.map((label) =>
    Float32Array.from(centres[label] ?? [], (c) => c + (next() + next() + next() - 1.5) * 2),
  );
  let iterations = 0;
  const t0 = performance.now();
  trainLinearProbe(features, labels, {
    numClasses: classes,
    onProgress: (e) => {
      iterations = e.iteration;
    },
  });
  return { samples, dims, classes, iterations, seconds: (performance.now() - t0) / 1e3 };
}

async function timeColdStart(
  options: BenchOptions,
  dir: string,
  model: string,
): Promise<BenchResults['coldStart'][number]> {
  const t0 = performance.now();
  const head = await ImageGPTForCausalImageModeling.fromPretrained(dir, { threads: options.threads });
  try {
    const decoder = head.runner.createDecoder(1);
    await decoder.next([[head.config.sosTokenId]]);
    decoder.dispose();
    return { model, msToFirstToken: performance.now() - t0 };
  } finally {
    await head.dispose();
  }
}

/** Mean NLL in bits per token of `rows` ([SOS] + pixels), every pixel token scored. */
async function bitsPerToken(runner: ImageGPTRunner, rows: readonly (readonly number[])[]): Promise<number> {
  let nats = 0;
  let count = 0;
  const V1 = runner.config.vocabSize - 1;
  for (let start = 0; start < rows.length; start += 50) {
    const batch = rows.slice(start, start + 50);
    const inputs = batch.map((r) => r.slice(0, -1));
    const { logits } = await runner.forward(inputs);
    const data = logits.data as Float32Array;
    const T = inputs[0]?.length as number;
    batch.forEach((row, b) => {
      for (let t = 0; t < T; t++) {
        const off = (b * T + t) * V1;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < V1; k++) max = Math.max(max, data[off + k] as number);
        let sum = 0;
        for (let k = 0; k < V1; k++) sum += Math.exp((data[off + k] as number) - max);
        nats += Math.log(sum) + max - (data[off + (row[t + 1] as number)] as number);
        count++;
      }
    });
  }
  return nats / count / Math.LN2;
}

async function maxLogitError(options: BenchOptions, dtype: ModelDType): Promise<number | undefined> {
  const dir = options.smallCausalDir;
  if (dir === undefined || !existsSync(join(dir, 'io.safetensors'))) return undefined;
  const config = ImageGPTConfig.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const checkpoint = readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), {
    source: 'small-causal',
  });
  const io = readSafetensors(new Uint8Array(readFileSync(join(dir, 'io.safetensors'))), {
    source: 'small-causal/io',
  });
  const [B, T] = io.get('input_ids').shape as [number, number];
  const ids = io.int64('input_ids');
  const rows = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => Number(ids[b * T + t])),
  );
  const runner = await ImageGPTRunner.create({
    backend: options.backend,
    config,
    checkpoint,
    head: 'causal',
    dtype,
    decoder: 'reference',
  });
  try {
    const got = (await runner.forward(rows)).logits.data as Float32Array;
    const ref = io.float32('logits');
    let err = 0;
    for (let i = 0; i < ref.length; i++)
      err = Math.max(err, Math.abs((got[i] as number) - (ref[i] as number)));
    return err;
  } finally {
    await runner.dispose();
  }
}

/** Runs every measurement of `igpt bench`; see the Performance notes for what each figure means. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const quick = options.quick === true;
  const log = options.log ?? (() => {});
  const { cpus, cpuModel } = await cpuInfo();

  log('machine: memory bandwidth and fp32 GEMM peak through onnxruntime');
  const machineOptions = quick ? { bytes: 2 ** 26, gemmSize: 512, runs: 2 } : {};
  const first = await measureMachine(options.backend, machineOptions);
  // Neighbours on a shared machine lower a single reading; the limits use the best reading of the
  // run, so a second one comes after the decode runs (see `limits` below).
  let bw = first.bandwidthGBs;

  const decode: DecodeFigure[] = [];
  const near = [10, 500, 1000];

  // The embedded model: 16×16 digits, so a full image is 256 steps.
  const embeddedConfig = ImageGPTConfig.parse(readFileSync(join(options.embeddedDir, 'config.json'), 'utf8'));
  const embeddedWeights = readSafetensors(
    new Uint8Array(readFileSync(join(options.embeddedDir, 'model.safetensors'))),
    {
      source: 'embedded',
    },
  );
  {
    const runner = await ImageGPTRunner.create({
      backend: options.backend,
      config: embeddedConfig,
      checkpoint: embeddedWeights,
      head: 'causal',
    });
    try {
      for (const batch of [1, 4, 8]) {
        log(`decode: embedded model, batch ${batch}`);
        decode.push(
          await timeDecode(
            runner,
            'embedded',
            batch,
            quick ? 16 : embeddedConfig.nPositions,
            bw,
            [10, 128, 250],
          ),
        );
      }
    } finally {
      await runner.dispose();
    }
  }

  const smallConfig = igptSmallConfig(quick);
  log(`random iGPT-small weights (${smallConfig.nLayer} layers) from seed 1`);
  const small = randomImageGPTCheckpoint(smallConfig, 1);
  const steps = quick ? 12 : smallConfig.nPositions;
  for (const dtype of ALL_DTYPES) {
    if (quick && dtype !== 'fp32' && dtype !== 'q8') continue;
    const runner = await ImageGPTRunner.create({
      backend: options.backend,
      config: smallConfig,
      checkpoint: small,
      head: 'causal',
      dtype,
    });
    try {
      // fp16 weights are widened to fp32 when the session loads, so only batch 1 is worth timing.
      const batches = dtype === 'fp32' ? [1, 4, 8] : [1];
      for (const batch of batches) {
        log(`decode: iGPT-small ${dtype}, batch ${batch}, ${steps} steps`);
        decode.push(await timeDecode(runner, 'igpt-small', batch, steps, bw, near));
      }
    } finally {
      await runner.dispose();
    }
  }

  log('machine: second bandwidth and GEMM reading');
  const second = await measureMachine(options.backend, machineOptions);
  const limits: MachineLimits = {
    bandwidthGBs: Math.max(first.bandwidthGBs, second.bandwidthGBs),
    bandwidthRunsGBs: [...first.bandwidthRunsGBs, ...second.bandwidthRunsGBs],
    gemmGFLOPs: Math.max(first.gemmGFLOPs, second.gemmGFLOPs),
    gemmRunsGFLOPs: [...first.gemmRunsGFLOPs, ...second.gemmRunsGFLOPs],
  };
  if (limits.bandwidthGBs > bw) {
    // Re-express every decode limit against the better bandwidth reading.
    const k = bw / limits.bandwidthGBs;
    for (const [i, d] of decode.entries()) {
      decode[i] = {
        ...d,
        limitMsPerStep: d.limitMsPerStep * k,
        ratioToLimit: d.ratioToLimit / k,
        near: d.near.map((n) => ({ ...n, limitMs: n.limitMs * k, ratio: n.ratio / k })),
      };
    }
    bw = limits.bandwidthGBs;
  }

  log('prefill: batch 8, whole images');
  const prefill = [
    ...(await timePrefill(options, embeddedConfig, embeddedWeights, 'embedded', 8, limits.gemmGFLOPs)),
    ...(await timePrefill(options, smallConfig, small, 'igpt-small', quick ? 1 : 8, limits.gemmGFLOPs)),
  ];

  log('processor: 224×224 → 32×32, 512 clusters');
  const processor = await timeProcessor(quick);

  log('linear probe: L-BFGS on synthetic features');
  const probe = await timeProbe(quick);

  log('cold start: model folder on disk → first token');
  const coldStart = [await timeColdStart(options, options.embeddedDir, 'embedded')];
  const folder = await mkdtemp(join(tmpdir(), 'igpt-bench-'));
  try {
    await writeFile(join(folder, 'config.json'), smallConfig.toJSONString());
    await writeFile(
      join(folder, 'model.safetensors'),
      writeSafetensors(
        small.names().map((name) => ({
          name,
          dtype: 'F32' as const,
          shape: small.get(name).shape,
          data: small.float32(name),
        })),
        { format: 'pt' },
      ),
    );
    coldStart.push(await timeColdStart(options, folder, 'igpt-small'));
  } finally {
    await rm(folder, { recursive: true, force: true });
  }

  log('quality: bits per token on held-out digits and logit error on small-causal, per dtype');
  const quality: BenchResults['quality'][number][] = [];
  let fp32Bits: number | undefined;
  for (const dtype of ALL_DTYPES) {
    let bits: number | undefined;
    if (options.heldOut !== undefined && options.heldOut.length > 0) {
      const runner = await ImageGPTRunner.create({
        backend: options.backend,
        config: embeddedConfig,
        checkpoint: embeddedWeights,
        head: 'causal',
        dtype,
        decoder: 'reference',
      });
      try {
        bits = await bitsPerToken(runner, quick ? options.heldOut.slice(0, 20) : options.heldOut);
      } finally {
        await runner.dispose();
      }
      if (dtype === 'fp32') fp32Bits = bits;
    }
    const err = await maxLogitError(options, dtype);
    quality.push({
      dtype,
      ...(bits === undefined ? {} : { bitsPerToken: bits }),
      ...(bits === undefined || fp32Bits === undefined ? {} : { relativeToFp32: bits / fp32Bits }),
      ...(err === undefined ? {} : { maxLogitErrorSmallCausal: err }),
    });
  }

  return {
    date: new Date().toISOString(),
    quick,
    machine: { ...limits, cpus, threads: options.threads, cpuModel, node: process.version },
    decode,
    prefill,
    processor,
    probe,
    coldStart,
    quality,
  };
}

async function cpuInfo(): Promise<{ cpus: number; cpuModel: string }> {
  const os = await import('node:os');
  const cpus = os.cpus();
  return { cpus: os.availableParallelism(), cpuModel: cpus[0]?.model ?? 'unknown' };
}
