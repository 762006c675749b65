import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import type { Checkpoint, ExpectedWeight } from '../checkpoint/index.js';
import { validateWeights } from '../checkpoint/index.js';

/**
 * The HF state dict of an ImageGPT model: `transformer.*` for the trunk (no prefix when `prefix` is
 * ''), then `lm_head.weight` [V−1, C] (causal) or `score.weight` [num_labels, C] (classifier).
 */
export function expectedImageGPTWeights(
  config: ImageGPTConfig,
  head: ModelHead,
  prefix = 'transformer.',
): ExpectedWeight[] {
  const { vocabSize: V, nPositions: P, nEmbd: C, innerSize: I } = config;
  const weights: ExpectedWeight[] = [
    { name: `${prefix}wte.weight`, shape: [V, C] },
    { name: `${prefix}wpe.weight`, shape: [P, C] },
  ];
  for (let l = 0; l < config.nLayer; l++) {
    const h = `${prefix}h.${l}.`;
    weights.push(
      { name: `${h}ln_1.weight`, shape: [C] },
      { name: `${h}attn.c_attn.weight`, shape: [C, 3 * C] },
      { name: `${h}attn.c_attn.bias`, shape: [3 * C] },
      { name: `${h}attn.c_proj.weight`, shape: [C, C] },
      { name: `${h}attn.c_proj.bias`, shape: [C] },
      { name: `${h}ln_2.weight`, shape: [C] },
      { name: `${h}mlp.c_fc.weight`, shape: [C, I] },
      { name: `${h}mlp.c_fc.bias`, shape: [I] },
      { name: `${h}mlp.c_proj.weight`, shape: [I, C] },
      { name: `${h}mlp.c_proj.bias`, shape: [C] },
    );
  }
  weights.push({ name: `${prefix}ln_f.weight`, shape: [C] });
  if (head === 'causal') weights.push({ name: 'lm_head.weight', shape: [V - 1, C] });
  if (head === 'classifier') weights.push({ name: 'score.weight', shape: [config.numLabels, C] });
  return weights;
}

// Older HF versions saved the attention buffers (causal tril and masked_bias) in the state dict;
// they carry no learned values, so they are accepted and ignored, as HF does.
const ATTENTION_BUFFER = /^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$/;
// Another head's weights are ignored when loading the bare trunk (HF warns and drops them).
const HEAD_WEIGHTS = new Set(['lm_head.weight', 'score.weight']);

/**
 * The parameters among a checkpoint's tensors: every element but those of the attention buffers
 * older HF versions saved. What `config.parameterCount(head)` gives for a checkpoint that fits.
 *
 * @example
 * const { tensors } = await inspectCheckpoint(files);
 * countImageGPTParameters(tensors) === config.parameterCount('causal');
 */
export function countImageGPTParameters(
  tensors: Iterable<{ readonly name: string; readonly shape: readonly number[] }>,
): number {
  let count = 0;
  for (const { name, shape } of tensors) {
    if (!ATTENTION_BUFFER.test(name)) count += shape.reduce((n, d) => n * d, 1);
  }
  return count;
}

/**
 * Checks that `checkpoint` holds exactly the weights of this config and head, with the right shapes,
 * and returns the trunk's name prefix (`transformer.` for HF's head models, '' for a bare
 * `ImageGPTModel` save). Every problem is listed in one `CheckpointError`.
 */
export function checkImageGPTWeights(
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  head: ModelHead,
): string {
  const prefix =
    !checkpoint.has('transformer.wte.weight') && checkpoint.has('wte.weight') ? '' : 'transformer.';
  validateWeights(checkpoint, expectedImageGPTWeights(config, head, prefix), {
    allowExtra: (name) => ATTENTION_BUFFER.test(name) || (head === 'base' && HEAD_WEIGHTS.has(name)),
  });
  return prefix;
}
