import {
  ImageGPTConfig,
  ImageGPTRunner,
  loadCheckpoint,
  loadConfig,
  MODEL_DTYPES,
  NodeFileSource,
} from '@imagegpt/node';
import type { BenchOptions, BenchResults, DecodeFigure } from './bench-results.js';
import { bestOf, cpuInfo, measureMachine } from './machine.js';
import { randomImageGPTCheckpoint } from './random-checkpoint.js';
import { atBandwidth } from './roofline.js';
import { timeColdStart, timeColdStartOf } from './sections/cold-start.js';
import { timeDecode } from './sections/decode.js';
import { timePrefill } from './sections/prefill.js';
import { timeProbe } from './sections/probe.js';
import { timeProcessor } from './sections/processor.js';
import { measureQuality } from './sections/quality.js';
import { profileDecodeSteps } from './sections/step-profile.js';
import { nodeTargets } from './targets.js';

export type { BenchOptions, BenchResults, DecodeFigure } from './bench-results.js';

/** iGPT-small's shape with a 512-colour vocabulary and 32×32 images. */
export function igptSmallConfig(quick: boolean): ImageGPTConfig {
  return ImageGPTConfig.preset('small', {
    vocab_size: 513,
    n_positions: 1024,
    ...(quick ? { n_layer: 2 } : {}),
  });
}

/** Runs every measurement of `igpt bench`; see the Performance notes for what each figure means. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { backend, threads } = options;
  const quick = options.quick === true;
  const log = options.log ?? (() => {});

  log('machine: memory bandwidth and fp32 GEMM peak through onnxruntime');
  const machineOptions = quick ? { bytes: 2 ** 26, gemmSize: 512, runs: 2 } : {};
  const first = await measureMachine(backend, machineOptions);

  // The embedded model: 16×16 digits, so a full image is 256 steps.
  const embeddedFiles = new NodeFileSource(options.embeddedDir);
  const embeddedConfig = await loadConfig(embeddedFiles);
  const embeddedWeights = await loadCheckpoint(embeddedFiles);
  const decode: DecodeFigure[] = [];
  {
    const runner = await ImageGPTRunner.create({
      backend,
      config: embeddedConfig,
      checkpoint: embeddedWeights,
      head: 'causal',
    });
    try {
      for (const batch of [1, 4, 8]) {
        log(`decode: embedded model, batch ${batch}`);
        const steps = quick ? 16 : embeddedConfig.nPositions;
        decode.push(await timeDecode(runner, 'embedded', batch, steps, first.bandwidthGBs, [10, 128, 250]));
      }
    } finally {
      await runner.dispose();
    }
  }

  const smallConfig = igptSmallConfig(quick);
  log(`random iGPT-small weights (${smallConfig.nLayer} layers) from seed 1`);
  const small = randomImageGPTCheckpoint(smallConfig, 1);
  const steps = quick ? 12 : smallConfig.nPositions;
  for (const dtype of MODEL_DTYPES) {
    if (quick && dtype !== 'fp32' && dtype !== 'q8') continue;
    const runner = await ImageGPTRunner.create({
      backend,
      config: smallConfig,
      checkpoint: small,
      head: 'causal',
      dtype,
    });
    try {
      // fp16 weights are widened to fp32 when the session loads, so only batch 1 is worth timing.
      for (const batch of dtype === 'fp32' ? [1, 4, 8] : [1]) {
        log(`decode: iGPT-small ${dtype}, batch ${batch}, ${steps} steps`);
        decode.push(
          await timeDecode(runner, 'igpt-small', batch, steps, first.bandwidthGBs, [10, 500, 1000]),
        );
      }
    } finally {
      await runner.dispose();
    }
  }

  // Neighbours on a shared machine lower a single reading; the limits use the best reading of the
  // run, so a second one comes after the decode runs and every decode limit follows it.
  log('machine: second bandwidth and GEMM reading');
  const limits = bestOf(first, await measureMachine(backend, machineOptions));
  const decodeAtBest = decode.map((d) => atBandwidth(d, first.bandwidthGBs, limits.bandwidthGBs));

  log('prefill: batch 8, whole images');
  const runs = quick ? 1 : 2;
  const prefill = [
    ...(await timePrefill(backend, embeddedConfig, embeddedWeights, 'embedded', 8, limits.gemmGFLOPs, runs)),
    ...(await timePrefill(backend, smallConfig, small, 'igpt-small', quick ? 1 : 8, limits.gemmGFLOPs, runs)),
  ];

  log('processor: 224×224 → 32×32, 512 clusters');
  const processor = timeProcessor(quick);

  log('linear probe: L-BFGS on synthetic features');
  const probe = timeProbe(quick);

  log('cold start: model folder on disk → first token, each run in a fresh process');
  const coldRuns = quick ? 1 : 3;
  const coldStart = [
    await timeColdStart(options.embeddedDir, 'embedded', threads, coldRuns),
    await timeColdStartOf(smallConfig, small, 'igpt-small', threads, coldRuns),
  ];

  const position = quick ? 8 : 512;
  log(`step profile: iGPT-small near position ${position}, onnxruntime's profiler`);
  const stepProfile = [];
  for (const [dtype, batch] of [
    ['fp32', 1],
    ['q8', 1],
    ['fp32', 8],
  ] as const) {
    stepProfile.push(
      await profileDecodeSteps(smallConfig, small, {
        threads,
        dtype,
        batch,
        position,
        steps: quick ? 4 : 32,
      }),
    );
  }

  log('quality: bits per token on held-out digits and logit error on small-causal, per dtype');
  const quality = await measureQuality({
    backend,
    config: embeddedConfig,
    checkpoint: embeddedWeights,
    heldOut: quick ? options.heldOut?.slice(0, 20) : options.heldOut,
    smallCausalDir: options.smallCausalDir,
  });

  const { cpus, cpuModel } = cpuInfo();
  const results = {
    date: new Date().toISOString(),
    quick,
    machine: { ...limits, cpus, threads, cpuModel, node: process.version },
    decode: decodeAtBest,
    prefill,
    processor,
    probe,
    coldStart,
    stepProfile,
    quality,
  };
  return { ...results, targets: nodeTargets(results) };
}
