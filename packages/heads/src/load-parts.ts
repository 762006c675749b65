import { ImageGPTConfig } from '@imagegpt/config';
import { type FileLimits, type FileSource, loadCheckpoint } from '@imagegpt/core';
import { readJsonText } from '@imagegpt/core/io';
import { ImageGPTImageProcessor } from '@imagegpt/processor';
import { HeadsError } from './heads-error.js';
import type { LoadOptions, ModelParts } from './load-options.js';
import { checkProcessorMatches } from './processor-match.js';

const CONFIG = 'config.json';
const PREPROCESSOR = 'preprocessor_config.json';

/**
 * Reads and validates `config.json` of a model folder through the file-reading policy (its size
 * capped, one linear pass over the text): what the heads and every `igpt` command read a model's
 * shape from before anything else.
 *
 * @example
 * const config = await loadConfig(new NodeFileSource('./igpt-small'));
 */
export async function loadConfig(
  files: FileSource,
  options: { readonly limits?: Partial<FileLimits> } = {},
): Promise<ImageGPTConfig> {
  if (!(await files.exists(CONFIG))) {
    throw new HeadsError(`no ${CONFIG}: expected a Hugging Face ImageGPT model folder`, {
      source: files.location,
    });
  }
  return ImageGPTConfig.parse(await readJsonText(files, CONFIG, options), `${files.location}/${CONFIG}`);
}

/**
 * Reads `preprocessor_config.json` of a model folder through the file-reading policy, or
 * undefined when the folder has none.
 */
export async function loadProcessor(
  files: FileSource,
  options: { readonly limits?: Partial<FileLimits> } = {},
): Promise<ImageGPTImageProcessor | undefined> {
  if (!(await files.exists(PREPROCESSOR))) return undefined;
  return ImageGPTImageProcessor.parse(
    await readJsonText(files, PREPROCESSOR, options),
    `${files.location}/${PREPROCESSOR}`,
  );
}

/**
 * Reads a Hugging Face model folder through `files`: `config.json` (required),
 * `preprocessor_config.json` (optional) and the weights (via `loadCheckpoint`), every file under
 * the reading policy with `options.limits`.
 */
export async function loadParts(files: FileSource, options: LoadOptions): Promise<ModelParts> {
  const limits = options.limits === undefined ? {} : { limits: options.limits };
  const config = await loadConfig(files, limits);
  const processor = await loadProcessor(files, limits);
  // Checked before the weights are read: a mismatch would otherwise show only after a generation.
  if (processor !== undefined) checkProcessorMatches(config, processor, `${files.location}/${PREPROCESSOR}`);
  await options.beforeWeights?.(config);
  const checkpoint = await loadCheckpoint(files, {
    ...limits,
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
