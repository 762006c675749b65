import {
  CONFIG_FILE,
  type FileSink,
  type FileSinkWriteOptions,
  GENERATION_CONFIG_FILE,
  type GenerationConfig,
  type ImageGPTConfig,
  type ModelHead,
} from '@imagegpt/config';
import { type Checkpoint, safetensorsLayout, WEIGHT_FILES } from '@imagegpt/core';
import { checkImageGPTWeights, expectedImageGPTWeights } from '@imagegpt/core/graph';
import { type ImageGPTImageProcessor, PREPROCESSOR_CONFIG_FILE } from '@imagegpt/processor';
import { HEAD_CLASS_NAMES } from './head-weights.js';
import { HeadsError } from './heads-error.js';

/** What a head saves. */
export interface PretrainedParts {
  readonly head: ModelHead;
  readonly config: ImageGPTConfig;
  readonly checkpoint: Checkpoint;
  readonly processor?: ImageGPTImageProcessor;
  /** The causal head's generation settings (generation_config.json); the other heads have none. */
  readonly generationConfig?: GenerationConfig;
}

// The state dict's own keys: the heads' weights carry no trunk prefix.
const HEAD_WEIGHTS = new Set(['lm_head.weight', 'score.weight']);

/**
 * Writes a Hugging Face model folder as transformers 4.31's `save_pretrained` does:
 * `model.safetensors` (float32, HF's key names: `transformer.*` plus `lm_head.weight` or
 * `score.weight`, no prefix for a bare `ImageGPTModel`; tensors in name order; `__metadata__`
 * `{"format": "pt"}`), `generation_config.json` for the causal head, `preprocessor_config.json`
 * when there is a processor, and `config.json` (see `ImageGPTConfig.toPretrainedJSONString`), last,
 * so a folder that has it is complete. Each file is written atomically by the sink; without
 * `force`, a sink that can tell is asked about every file first, so a refused save writes none.
 * Returns the paths written.
 */
export async function writePretrained(
  sink: FileSink,
  parts: PretrainedParts,
  options: FileSinkWriteOptions = {},
): Promise<string[]> {
  const { head, config, checkpoint, processor, generationConfig } = parts;
  const files: [string, () => Uint8Array | Iterable<Uint8Array>][] = [
    [WEIGHT_FILES.safetensors.single, () => stateDict(head, config, checkpoint)],
  ];
  const text = (s: string) => () => new TextEncoder().encode(s);
  if (head === 'causal' && generationConfig !== undefined)
    files.push([GENERATION_CONFIG_FILE, text(generationConfig.toJSONString())]);
  if (processor !== undefined) files.push([PREPROCESSOR_CONFIG_FILE, text(processor.toJSONString())]);
  files.push([CONFIG_FILE, text(config.toPretrainedJSONString({ architecture: HEAD_CLASS_NAMES[head] }))]);

  if (options.force !== true && sink.exists !== undefined) {
    for (const [path] of files) {
      if (await sink.exists(path)) {
        throw new HeadsError(`${path} already exists; pass force: true to overwrite it`, {
          source: sink.location,
        });
      }
    }
  }
  for (const [path, data] of files) await sink.write(path, data(), options);
  return files.map(([path]) => path);
}

/**
 * The safetensors file of `head`'s state dict, as chunks (header, then each tensor's bytes) so no
 * buffer holds the whole file. Float16 checkpoints are widened, as HF loads them in float32.
 */
function stateDict(head: ModelHead, config: ImageGPTConfig, checkpoint: Checkpoint): Uint8Array[] {
  const from = checkImageGPTWeights(config, checkpoint, head);
  const to = head === 'base' ? '' : 'transformer.';
  // safetensors' own writer orders tensors by dtype, then name; every tensor here is F32.
  const names = expectedImageGPTWeights(config, head, to).sort((a, b) => (a.name < b.name ? -1 : 1));
  const specs = names.map(({ name, shape }) => ({ name, dtype: 'F32' as const, shape }));
  const { header, order } = safetensorsLayout(specs, { format: 'pt' });
  const sourceName = (name: string) => (HEAD_WEIGHTS.has(name) ? name : `${from}${name.slice(to.length)}`);
  return [
    header,
    ...order.map((name) => {
      const values = checkpoint.float32(sourceName(name));
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    }),
  ];
}
