import { availableParallelism, cpus } from 'node:os';
import type { ImageGPTBackend } from '@imagegpt/core';
import { GraphBuilder } from '@imagegpt/core/graph';
import { OnnxDataType } from '@imagegpt/core/onnx';
import { timeRuns } from './timing.js';

/** What the machine can do, measured through ONNX Runtime itself (all intra-op threads). */
export interface MachineLimits {
  /** Memory read bandwidth, GB/s (10⁹ bytes): a ReduceSum streaming a large float32 tensor. */
  readonly bandwidthGBs: number;
  /** Best of the bandwidth repeats, and every repeat, for the noise. */
  readonly bandwidthRunsGBs: readonly number[];
  /** fp32 GEMM throughput, GFLOP/s: a large MatMul against a constant (pre-packed) matrix. */
  readonly gemmGFLOPs: number;
  readonly gemmRunsGFLOPs: readonly number[];
}

/** The cores this process may use and the CPU's model name, for the report's header. */
export function cpuInfo(): { cpus: number; cpuModel: string } {
  return { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown' };
}

/**
 * The better of two {@link MachineLimits} readings, every run of both kept: neighbours on a shared
 * machine lower a single reading, and no run can beat what the machine can do.
 */
export function bestOf(a: MachineLimits, b: MachineLimits): MachineLimits {
  return {
    bandwidthGBs: Math.max(a.bandwidthGBs, b.bandwidthGBs),
    bandwidthRunsGBs: [...a.bandwidthRunsGBs, ...b.bandwidthRunsGBs],
    gemmGFLOPs: Math.max(a.gemmGFLOPs, b.gemmGFLOPs),
    gemmRunsGFLOPs: [...a.gemmRunsGFLOPs, ...b.gemmRunsGFLOPs],
  };
}

/**
 * Memory bandwidth and GEMM peak through the runtime the model runs on: a plain JS loop would measure
 * the JIT, not the memory. The bandwidth tensor (`bytes`, default 1 GiB) is fed without a copy, so
 * the ReduceSum reads it once from RAM, far beyond any cache.
 */
export async function measureMachine(
  backend: ImageGPTBackend,
  options: { bytes?: number; gemmSize?: number; runs?: number } = {},
): Promise<MachineLimits> {
  const bytes = options.bytes ?? 2 ** 30;
  const runs = options.runs ?? 5;
  const F32 = OnnxDataType.FLOAT;

  const rows = 1024;
  const cols = Math.floor(bytes / 4 / rows);
  const rg = new GraphBuilder('bandwidth');
  const x = rg.input('x', F32, [rows, cols]);
  rg.op('ReduceSum', [x, rg.int64s([1])], { keepdims: 0 }, 'y');
  rg.output('y', F32, [rows]);
  const reduce = await backend.createSession(rg.toArtifact());
  const data = new Float32Array(rows * cols).fill(1);
  const feed = { x: { type: 'float32' as const, dims: [rows, cols], data } };
  await reduce.run(feed);
  const bwTimes = await timeRuns(runs, async () => {
    await reduce.run(feed);
  });
  await reduce.dispose();
  const bandwidthRunsGBs = bwTimes.map((ms) => (rows * cols * 4) / (ms * 1e6));

  const n = options.gemmSize ?? 2048;
  const gg = new GraphBuilder('gemm');
  const a = gg.input('a', F32, [n, n]);
  const w = gg.addInitializer('w', [n, n], new Float32Array(n * n).fill(0.001));
  gg.op('MatMul', [a, w], {}, 'c');
  gg.output('c', F32, [n, n]);
  const gemm = await backend.createSession(gg.toArtifact());
  const gemmFeed = { a: { type: 'float32' as const, dims: [n, n], data: new Float32Array(n * n).fill(1) } };
  await gemm.run(gemmFeed);
  const gemmTimes = await timeRuns(runs, async () => {
    await gemm.run(gemmFeed);
  });
  await gemm.dispose();
  const gemmRunsGFLOPs = gemmTimes.map((ms) => (2 * n * n * n) / (ms * 1e6));
  return {
    bandwidthGBs: Math.max(...bandwidthRunsGBs),
    bandwidthRunsGBs,
    gemmGFLOPs: Math.max(...gemmRunsGFLOPs),
    gemmRunsGFLOPs,
  };
}
