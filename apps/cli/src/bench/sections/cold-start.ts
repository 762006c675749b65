import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Checkpoint, type ImageGPTConfig, writeSafetensors } from '@imagegpt/node';
import type { ColdStartFigure } from '../bench-results.js';
import { median } from '../timing.js';

/**
 * What a fresh Node process measures, given the model folder and the thread count. It imports
 * @imagegpt/node as the CLI resolves it (it runs in the CLI's folder). `total`: from the `fromPretrained()` call to the first token's logits, as a user meets it
 * (module import excluded, onnxruntime's first-session start included). `phases`: the same path
 * taken step by step with the public pieces, so each step's share shows: reading the folder (the
 * safetensors header: the weights stay in the file), building the decode graph, creating its
 * session (where onnxruntime maps and pre-packs the weights), the first step.
 */
const CHILD = `
const [dir, threadsArg, mode] = process.argv.slice(1);
const igpt = await import('@imagegpt/node');
const { buildDecodeGraph } = await import('@imagegpt/core/graph');
const { FastDecoder } = await import('@imagegpt/core/model');
const threads = Number(threadsArg);
const now = () => performance.now();
if (mode === 'total') {
  const t0 = now();
  const model = await igpt.ImageGPTForCausalImageModeling.fromPretrained(dir, { threads });
  const decoder = model.runner.createDecoder(1);
  await decoder.next([[model.config.sosTokenId]]);
  const ms = now() - t0;
  decoder.dispose();
  await model.dispose();
  process.stdout.write(JSON.stringify({ ms }));
} else {
  const t0 = now();
  const files = new igpt.NodeFileSource(dir);
  const config = igpt.ImageGPTConfig.parse(new TextDecoder().decode(await files.read('config.json')));
  const checkpoint = await igpt.loadCheckpoint(files);
  const t1 = now();
  const backend = igpt.createNodeBackend({ threads });
  // As the runner does: weights that lie in model.safetensors stay there for onnxruntime to map.
  const artifact = buildDecodeGraph(config, checkpoint, { head: 'causal', weights: 'files' });
  const t2 = now();
  const session = await backend.createSession(artifact, { threads });
  const t3 = now();
  const decoder = new FastDecoder(() => session, config, 1);
  await decoder.next([[config.sosTokenId]]);
  const t4 = now();
  await session.dispose();
  process.stdout.write(JSON.stringify({ readMs: t1 - t0, graphMs: t2 - t1, sessionMs: t3 - t2, firstStepMs: t4 - t3 }));
}
`;

/** The CLI package's folder (this file is src/bench/sections/ or dist/bench/sections/ in it). */
const CLI_DIR = fileURLToPath(new URL('../../../', import.meta.url));

function runChild(args: readonly string[]): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD, ...args],
      {
        cwd: CLI_DIR,
        env: { ...process.env, ORT_DISABLE_TELEMETRY: process.env.ORT_DISABLE_TELEMETRY ?? '1' },
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`cold-start process failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as Record<string, number>);
      },
    );
  });
}

/**
 * Cold start of the model folder `dir`, each run in a fresh process (files already in the OS page
 * cache): the median of `runs` runs from `fromPretrained()` to the first token's logits, and one run
 * split into its steps.
 */
export async function timeColdStart(
  dir: string,
  model: string,
  threads: number,
  runs = 3,
): Promise<ColdStartFigure> {
  // Once unmeasured, so the folder is in the page cache as the target assumes.
  await runChild([dir, String(threads), 'total']);
  const totals: number[] = [];
  for (let i = 0; i < runs; i++) totals.push((await runChild([dir, String(threads), 'total'])).ms as number);
  const phases = await runChild([dir, String(threads), 'phases']);
  return {
    model,
    msToFirstToken: median(totals),
    runsMs: totals,
    phases: {
      readMs: phases.readMs as number,
      graphMs: phases.graphMs as number,
      sessionMs: phases.sessionMs as number,
      firstStepMs: phases.firstStepMs as number,
    },
  };
}

/** {@link timeColdStart} of an in-memory model, written as a folder (config.json, model.safetensors) first. */
export async function timeColdStartOf(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  model: string,
  threads: number,
  runs = 3,
): Promise<ColdStartFigure> {
  const folder = await mkdtemp(join(tmpdir(), 'igpt-bench-'));
  try {
    await writeFile(join(folder, 'config.json'), config.toJSONString());
    await writeFile(
      join(folder, 'model.safetensors'),
      writeSafetensors(
        checkpoint.names().map((name) => ({
          name,
          dtype: 'F32' as const,
          shape: checkpoint.get(name).shape,
          data: checkpoint.float32(name),
        })),
        { format: 'pt' },
      ),
    );
    return await timeColdStart(folder, model, threads, runs);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
