import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Checkpoint,
  type ImageGPTConfig,
  ImageGPTForCausalImageModeling,
  writeSafetensors,
} from '@imagegpt/node';
import type { BenchResults } from '../bench-results.js';

type ColdStart = BenchResults['coldStart'][number];

/** Milliseconds from a model folder on disk to the first decoded token, as a user meets them. */
export async function timeColdStart(dir: string, model: string, threads: number): Promise<ColdStart> {
  const t0 = performance.now();
  const head = await ImageGPTForCausalImageModeling.fromPretrained(dir, { threads });
  try {
    const decoder = head.runner.createDecoder(1);
    await decoder.next([[head.config.sosTokenId]]);
    decoder.dispose();
    return { model, msToFirstToken: performance.now() - t0 };
  } finally {
    await head.dispose();
  }
}

/** {@link timeColdStart} of an in-memory model, written as a folder (config.json, model.safetensors) first. */
export async function timeColdStartOf(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  model: string,
  threads: number,
): Promise<ColdStart> {
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
    return await timeColdStart(folder, model, threads);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
