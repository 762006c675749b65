import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import { Checkpoint, type WeightTensor } from '@imagegpt/core';
import { createRng } from '@imagegpt/core/generation';
import { HeadsError } from './heads-error.js';

/** The HF class of each head: what `architectures` names and messages say. */
export const HEAD_CLASS_NAMES: Readonly<Record<ModelHead, string>> = {
  base: 'ImageGPTModel',
  causal: 'ImageGPTForCausalImageModeling',
  classifier: 'ImageGPTForImageClassification',
};

/** The weight each head adds to the trunk; the other head's is not loaded. */
const HEAD_WEIGHT: Readonly<Record<ModelHead, string | undefined>> = {
  base: undefined,
  causal: 'lm_head.weight',
  classifier: 'score.weight',
};

/**
 * Checks that `checkpoint` has the head tensor `head` needs, so that loading a classifier
 * folder into the causal class says which class to use instead of listing a missing tensor.
 * The backbone needs no check here: the graph builder accepts `transformer.*` and bare
 * `ImageGPTModel` keys and ignores another head's tensors.
 */
export function checkHeadWeights(checkpoint: Checkpoint, head: ModelHead): void {
  const name = HEAD_WEIGHT[head];
  if (name !== undefined && !checkpoint.has(name)) {
    throw new HeadsError(`has no ${name}, which ${HEAD_CLASS_NAMES[head]} needs${describeHead(checkpoint)}`, {
      source: checkpoint.source,
    });
  }
}

function describeHead(checkpoint: Checkpoint): string {
  const { base, causal, classifier } = HEAD_CLASS_NAMES;
  if (checkpoint.has('score.weight')) return ` (it has score.weight: load it with ${classifier} or ${base})`;
  if (checkpoint.has('lm_head.weight')) return ` (it has lm_head.weight: load it with ${causal} or ${base})`;
  return ` (it holds only the backbone: load it with ${base})`;
}

/** Whether `checkpoint` holds an ImageGPT trunk, saved from a head or from a bare ImageGPTModel. */
export function hasTrunk(checkpoint: Checkpoint): boolean {
  return checkpoint.has('transformer.wte.weight') || checkpoint.has('wte.weight');
}

/** A float32 weight tensor, as {@link withWeights} and the checkpoint readers hold them. */
export function float32Tensor(name: string, shape: readonly number[], data: Float32Array): WeightTensor {
  return { name, dtype: 'F32', shape, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * `checkpoint` as `head` loads it: with `replaced` tensors put in (added or instead of the
 * checkpoint's) and the other head's weight left out, as HF ignores it.
 */
export function withWeights(
  checkpoint: Checkpoint,
  head: ModelHead,
  replaced: ReadonlyMap<string, WeightTensor>,
): Checkpoint {
  if (replaced.size === 0) return checkpoint;
  const other = Object.values(HEAD_WEIGHT).filter((name) => name !== undefined && name !== HEAD_WEIGHT[head]);
  const kept = checkpoint
    .names()
    .filter((name) => !replaced.has(name) && !other.includes(name))
    .map((name) => checkpoint.get(name));
  return new Checkpoint([...kept, ...replaced.values()], {
    source: checkpoint.source,
    metadata: checkpoint.metadata,
  });
}

/**
 * The classifier's `score.weight` [numLabels, n_embd] as HF initialises a new `nn.Linear` of
 * ImageGPT (`_init_weights`: normal with mean 0 and std `initializer_range`), from a seeded
 * generator: Box–Muller over core's portable `createRng`, so a seed gives the same weights on
 * every platform (not PyTorch's stream).
 */
export function initialScore(config: ImageGPTConfig, seed: number | bigint): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(config.numLabels * config.nEmbd);
  for (let i = 0; i < out.length; i += 2) {
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - rng.nextFloat()));
    const angle = 2 * Math.PI * rng.nextFloat();
    out[i] = config.initializerRange * radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = config.initializerRange * radius * Math.sin(angle);
  }
  return out;
}
