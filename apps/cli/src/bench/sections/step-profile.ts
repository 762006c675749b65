import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Checkpoint,
  createNodeBackend,
  type ImageGPTConfig,
  ImageGPTRunner,
  type ModelDType,
} from '@imagegpt/node';
import type { StepProfileFigure } from '../bench-results.js';

/** One event of onnxruntime's profile (a Chrome trace): `X` events with a start and a duration in µs. */
interface TraceEvent {
  readonly cat?: string;
  readonly name?: string;
  readonly ts?: number;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

/**
 * Where the time of a decode step goes, from onnxruntime's own profiler: `steps` single-token
 * steps of `batch` rows after a `position`-token prefix, each step's wall time in JS, the time
 * inside onnxruntime's `run()`, and the kernels it ran by operator type. What a step costs beyond
 * its kernels (the `run()` call, feeding and fetching, JS) is the difference.
 */
export async function profileDecodeSteps(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  options: { threads: number; dtype: ModelDType; batch: number; position: number; steps: number },
): Promise<StepProfileFigure> {
  const { threads, dtype, batch, position, steps } = options;
  const dir = await mkdtemp(join(tmpdir(), 'igpt-profile-'));
  try {
    const backend = createNodeBackend({ threads, profileFilePrefix: join(dir, 'decode') });
    const runner = await ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal', dtype });
    const wall: number[] = [];
    try {
      const decoder = runner.createDecoder(batch);
      const V1 = config.vocabSize - 1;
      const prefix = Array.from({ length: position }, (_, i) => (i * 7) % V1);
      await decoder.next(Array.from({ length: batch }, () => prefix));
      for (let s = 0; s < steps; s++) {
        const t0 = performance.now();
        await decoder.next(Array.from({ length: batch }, (_, b) => [(s * 5 + b) % V1]));
        wall.push(performance.now() - t0);
      }
      decoder.dispose();
    } finally {
      await runner.dispose(); // writes the profile
    }
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    if (file === undefined) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(await readFile(join(dir, file), 'utf8')) as TraceEvent[];
    return summarize(events, { dtype, batch, position, steps, wall });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summarize(
  events: readonly TraceEvent[],
  run: { dtype: ModelDType; batch: number; position: number; steps: number; wall: readonly number[] },
): StepProfileFigure {
  const { steps } = run;
  // The last `steps` runs are the single-token steps (the first is the prefix).
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(-steps);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time') === true);
  const byOp = new Map<string, { ms: number; count: number }>();
  let nodes = 0;
  for (const r of runs) {
    const start = r.ts ?? 0;
    const end = start + (r.dur ?? 0);
    for (const k of kernels) {
      if ((k.ts ?? -1) < start || (k.ts ?? 0) > end) continue;
      const op = k.args?.op_name ?? '?';
      const entry = byOp.get(op) ?? { ms: 0, count: 0 };
      entry.ms += (k.dur ?? 0) / 1e3 / steps;
      entry.count += 1 / steps;
      byOp.set(op, entry);
      nodes += 1 / steps;
    }
  }
  const runMs = runs.reduce((n, r) => n + (r.dur ?? 0), 0) / 1e3 / Math.max(1, runs.length);
  return {
    dtype: run.dtype,
    batch: run.batch,
    position: run.position,
    steps,
    wallMs: run.wall.reduce((a, b) => a + b, 0) / Math.max(1, run.wall.length),
    runMs,
    kernelMs: [...byOp.values()].reduce((n, e) => n + e.ms, 0),
    nodesPerStep: Math.round(nodes),
    byOp: [...byOp]
      .map(([op, e]) => ({ op, ms: e.ms, count: Math.round(e.count) }))
      .sort((a, b) => b.ms - a.ms),
  };
}
