import type { ModelDType, NodeBackend } from '@imagegpt/node';
import type { MachineLimits } from './machine.js';

/** Options of `runBench`. */
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

/** One prefill measurement: whole images through one graph. */
export interface PrefillFigure {
  model: string;
  /** `fast`: the decoder's first step; `fused`/`reference`: `forward()` on that prefill graph. */
  graph: 'fast' | 'fused' | 'reference';
  batch: number;
  imagesPerSecond: number;
  gflops: number;
  fractionOfGemmPeak: number;
}

/** Model quality per weight dtype. */
export interface QualityFigure {
  dtype: ModelDType;
  bitsPerToken?: number;
  relativeToFp32?: number;
  maxLogitErrorSmallCausal?: number;
}

/** One decode step taken apart with onnxruntime's profiler (see `profileDecodeSteps`). */
export interface StepProfileFigure {
  readonly dtype: ModelDType;
  readonly batch: number;
  /** Tokens in the cache when the profiled steps start. */
  readonly position: number;
  readonly steps: number;
  /** Per step: wall time in JS, time inside onnxruntime's run(), and the sum of its kernels. */
  readonly wallMs: number;
  readonly runMs: number;
  readonly kernelMs: number;
  /** Kernels run per step. */
  readonly nodesPerStep: number;
  /** Kernel time per step by operator type, largest first. */
  readonly byOp: readonly { op: string; ms: number; count: number }[];
}

/** Cold start of one model folder, each run in a fresh process. */
export interface ColdStartFigure {
  readonly model: string;
  /** Median ms from the `fromPretrained()` call to the first token's logits. */
  readonly msToFirstToken: number;
  /** Every run's ms. */
  readonly runsMs: readonly number[];
  /** One run taken step by step: read the folder, build the decode graph, create its session, first step. */
  readonly phases: { readMs: number; graphMs: number; sessionMs: number; firstStepMs: number };
}

/** One of issue 13's targets as a run measured it. */
export interface TargetFigure {
  /** What is aimed at, e.g. `cold start, iGPT-small fp32 <= 1.0 s`. */
  readonly target: string;
  /** The run's figure, with its unit. */
  readonly figure: string;
  readonly met: boolean;
}

/** Everything one bench run measures: the JSON `igpt bench` writes. */
export interface BenchResults {
  readonly date: string;
  readonly quick: boolean;
  readonly machine: MachineLimits & { cpus: number; threads: number; cpuModel: string; node: string };
  readonly decode: DecodeFigure[];
  readonly prefill: PrefillFigure[];
  readonly processor: { imagesPerSecond: number; inputSide: number; side: number; clusters: number };
  /** L-BFGS linear probe on synthetic features shaped like iGPT-small's (512 wide). */
  readonly probe: { samples: number; dims: number; classes: number; iterations: number; seconds: number };
  readonly coldStart: ColdStartFigure[];
  /** Where a decode step's time goes (iGPT-small), from onnxruntime's profiler. */
  readonly stepProfile: StepProfileFigure[];
  readonly quality: QualityFigure[];
  /** The targets of the figures above, each met or missed. */
  readonly targets: TargetFigure[];
}
