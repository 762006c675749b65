// Types of soak.mjs, for soak.test.ts (the script itself stays plain JavaScript so it runs on the build).
import type { ImageGPTBackend } from '@imagegpt/core';

/** What the soak needs from @imagegpt/node: the build's exports or the sources'. */
export interface SoakApi {
  createNodeBackend(options?: { threads?: number }): ImageGPTBackend;
  ImageGPTForCausalImageModeling: {
    fromPretrained(dir: string | URL, options?: { backend?: ImageGPTBackend }): Promise<SoakModel>;
  };
}

/** The parts of a causal model the soak drives. */
export interface SoakModel {
  readonly config: { readonly nPositions: number };
  readonly runner: { createDecoder(batchSize: number): { dispose(): void } };
  generate(options: { doSample?: boolean; seed?: number; topK?: number; temperature?: number }): Promise<{
    sequences: number[][];
    images?: unknown[];
  }>;
  dispose(): Promise<void>;
}

/** Options of {@link runSoak}. */
export interface SoakOptions {
  n?: number;
  warmup?: number;
  maxGrowth?: number;
  /** When the RSS grew over maxGrowth, run one more round and fail only if it grows that much again. */
  confirm?: boolean;
  threads?: number;
  modelDir?: string | URL;
  log?: (line: string) => void;
}

/** What {@link runSoak} measured. */
export interface SoakResult {
  generations: number;
  warmup: number;
  seconds: number;
  msPerGeneration: number;
  rssAfterWarmupMiB: number;
  rssEndMiB: number;
  rssGrowthPercent: number;
  /** Growth over the confirming round, when there was one. */
  confirmGrowthPercent?: number;
  heapAfterWarmupMiB: number;
  heapEndMiB: number;
  rssSamplesMiB: number[];
  /** V8's committed heap (heapTotal) after warm-up and at the end. */
  heapCommittedMiB: [number, number];
  /** Memory held by ArrayBuffers after warm-up and at the end. */
  arrayBuffersMiB: [number, number];
  unhandledRejections: number;
  decodersCreated: number;
  decodersLive: number;
  sessionsCreated: number;
  sessionsLive: number;
  runs: number;
  tensorsReturned: number;
  tensorsLiveBeforeDispose: number;
  tensorsLiveAfterDispose: number;
  failures: string[];
}

/** The embedded igpt-mnist-16 folder. */
export const DEFAULT_MODEL_DIR: URL;
/** Runs the soak; see soak.mjs. */
export function runSoak(api: SoakApi, options?: SoakOptions): Promise<SoakResult>;
/** Wraps a backend to count sessions, runs and live output tensors. */
export function countingBackend(inner: ImageGPTBackend): {
  backend: ImageGPTBackend;
  counts: {
    sessionsCreated: number;
    sessionsLive: number;
    runs: number;
    runsInFlight: number;
    tensorsReturned: number;
    tensorsLive: number;
  };
};
/** Counts the decoders a model's runner creates and disposes. */
export function countDecoders(model: SoakModel): { created: number; disposed: number };
