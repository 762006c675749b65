import { compareFloats } from '@imagegpt/heads/conformance';
import {
  type Checkpoint,
  type ImageGPTConfig,
  ImageGPTForCausalImageModeling,
  ImageGPTRunner,
  loadCheckpoint,
  loadConfig,
  MODEL_DTYPES,
  type ModelDType,
  type NodeBackend,
  NodeFileSource,
  readSafetensors,
} from '@imagegpt/node';
import type { QualityFigure } from '../bench-results.js';

/** Bits per pixel token of `rows` ([SOS] + pixels) under the model in `dtype`: the head's `nll`. */
async function bitsPerToken(
  backend: NodeBackend,
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  dtype: ModelDType,
  rows: readonly (readonly number[])[],
): Promise<number> {
  const head = await ImageGPTForCausalImageModeling.fromParts({
    config,
    checkpoint,
    backend,
    dtype,
    decoder: 'reference',
  });
  try {
    return (
      await head.nll(
        rows.map((row) => row.slice(1)),
        { batchSize: 50 },
      )
    ).bits;
  } finally {
    await head.dispose();
  }
}

/** The largest |logit − HF's logit| of the golden small-causal case (in `dir`) with weights in `dtype`. */
async function maxLogitError(backend: NodeBackend, dir: string, dtype: ModelDType): Promise<number> {
  // The --golden folder is the user's: read through the library's reading policy like a model.
  const files = new NodeFileSource(dir);
  const config = await loadConfig(files);
  const checkpoint = await loadCheckpoint(files, { prefer: 'safetensors' });
  const io = readSafetensors(await files.read('io.safetensors'), { source: `${dir}/io.safetensors` });
  const [B, T] = io.get('input_ids').shape as [number, number];
  const ids = io.int64('input_ids');
  const rows = Array.from({ length: B }, (_, b) =>
    Array.from({ length: T }, (_, t) => Number(ids[b * T + t])),
  );
  const runner = await ImageGPTRunner.create({
    backend,
    config,
    checkpoint,
    head: 'causal',
    dtype,
    decoder: 'reference',
  });
  try {
    const got = (await runner.forward(rows)).logits.data as Float32Array;
    return compareFloats('logits', got, io.float32('logits'), 0, 0).maxAbsErr ?? Number.POSITIVE_INFINITY;
  } finally {
    await runner.dispose();
  }
}

/**
 * What each weight dtype costs in quality: bits per token of the held-out digits under the embedded
 * model (and relative to fp32), and the largest logit error on the golden small-causal case.
 * Either is left out when its data is not given.
 */
export async function measureQuality(options: {
  backend: NodeBackend;
  config: ImageGPTConfig;
  checkpoint: Checkpoint;
  heldOut?: readonly (readonly number[])[] | undefined;
  smallCausalDir?: string | undefined;
}): Promise<QualityFigure[]> {
  const { backend, config, checkpoint, heldOut, smallCausalDir } = options;
  const quality: QualityFigure[] = [];
  let fp32Bits: number | undefined;
  for (const dtype of MODEL_DTYPES) {
    const bits =
      heldOut !== undefined && heldOut.length > 0
        ? await bitsPerToken(backend, config, checkpoint, dtype, heldOut)
        : undefined;
    if (dtype === 'fp32') fp32Bits = bits;
    const err =
      smallCausalDir === undefined ? undefined : await maxLogitError(backend, smallCausalDir, dtype);
    quality.push({
      dtype,
      ...(bits === undefined ? {} : { bitsPerToken: bits }),
      ...(bits === undefined || fp32Bits === undefined ? {} : { relativeToFp32: bits / fp32Bits }),
      ...(err === undefined ? {} : { maxLogitErrorSmallCausal: err }),
    });
  }
  return quality;
}
