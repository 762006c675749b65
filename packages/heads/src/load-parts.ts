import { ImageGPTConfig } from '@imagegpt/config';
import { type FileSource, loadCheckpoint } from '@imagegpt/core';
import { ImageGPTImageProcessor } from '@imagegpt/processor';
import { HeadsError } from './heads-error.js';
import type { LoadOptions, ModelParts } from './load-options.js';
import { checkProcessorMatches } from './processor-match.js';

const CONFIG = 'config.json';
const PREPROCESSOR = 'preprocessor_config.json';

/**
 * Reads a Hugging Face model folder through `files`: `config.json` (required),
 * `preprocessor_config.json` (optional) and the weights (via `loadCheckpoint`).
 */
export async function loadParts(files: FileSource, options: LoadOptions): Promise<ModelParts> {
  if (!(await files.exists(CONFIG))) {
    throw new HeadsError(`no ${CONFIG}: expected a Hugging Face ImageGPT model folder`, {
      source: files.location,
    });
  }
  const decoder = new TextDecoder();
  const config = ImageGPTConfig.parse(
    decoder.decode(await files.read(CONFIG)),
    `${files.location}/${CONFIG}`,
  );
  const processor = (await files.exists(PREPROCESSOR))
    ? ImageGPTImageProcessor.parse(
        decoder.decode(await files.read(PREPROCESSOR)),
        `${files.location}/${PREPROCESSOR}`,
      )
    : undefined;
  // Checked before the weights are read: a mismatch would otherwise show only after a generation.
  if (processor !== undefined) checkProcessorMatches(config, processor, `${files.location}/${PREPROCESSOR}`);
  await options.beforeWeights?.(config);
  const checkpoint = await loadCheckpoint(files, {
    ...(options.prefer === undefined ? {} : { prefer: options.prefer }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return {
    config,
    checkpoint,
    backend: options.backend,
    ...(processor === undefined ? {} : { processor }),
    ...(options.sessionOptions === undefined ? {} : { sessionOptions: options.sessionOptions }),
    ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    ...(options.decoder === undefined ? {} : { decoder: options.decoder }),
    ...(options.prefill === undefined ? {} : { prefill: options.prefill }),
  };
}
