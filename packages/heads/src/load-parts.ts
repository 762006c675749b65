import { CONFIG_FILE, GENERATION_CONFIG_FILE, GenerationConfig, ImageGPTConfig } from '@imagegpt/config';
import { type FileLimits, type FileSource, loadCheckpoint } from '@imagegpt/core';
import { readJsonText } from '@imagegpt/core/io';
import { ImageGPTImageProcessor, PREPROCESSOR_CONFIG_FILE } from '@imagegpt/processor';
import { HeadsError } from './heads-error.js';
import type { LoadOptions, ModelParts } from './load-options.js';
import { checkProcessorMatches } from './processor-match.js';

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
  if (!(await files.exists(CONFIG_FILE))) {
    throw new HeadsError(`no ${CONFIG_FILE}: expected a Hugging Face ImageGPT model folder`, {
      source: files.location,
    });
  }
  return ImageGPTConfig.parse(
    await readJsonText(files, CONFIG_FILE, options),
    `${files.location}/${CONFIG_FILE}`,
  );
}

/**
 * Reads `preprocessor_config.json` of a model folder through the file-reading policy, or
 * undefined when the folder has none.
 */
export async function loadProcessor(
  files: FileSource,
  options: { readonly limits?: Partial<FileLimits> } = {},
): Promise<ImageGPTImageProcessor | undefined> {
  if (!(await files.exists(PREPROCESSOR_CONFIG_FILE))) return undefined;
  return ImageGPTImageProcessor.parse(
    await readJsonText(files, PREPROCESSOR_CONFIG_FILE, options),
    `${files.location}/${PREPROCESSOR_CONFIG_FILE}`,
  );
}

/**
 * Reads a Hugging Face model folder through `files`: `config.json` (required, with the labels of
 * `options` applied), `preprocessor_config.json` and `generation_config.json` (optional) and the
 * weights (via `loadCheckpoint`), every file under the reading policy with `options.limits`.
 */
export async function loadParts(files: FileSource, options: LoadOptions): Promise<ModelParts> {
  const limits = options.limits === undefined ? {} : { limits: options.limits };
  const config = withLabels(await loadConfig(files, limits), options);
  const processor = await loadProcessor(files, limits);
  // Checked before the weights are read: a mismatch would otherwise show only after a generation.
  if (processor !== undefined)
    checkProcessorMatches(config, processor, `${files.location}/${PREPROCESSOR_CONFIG_FILE}`);
  await options.beforeWeights?.(config);
  // After beforeWeights: a model refused by its size costs no request beyond the files it needs.
  const generationConfig = (await files.exists(GENERATION_CONFIG_FILE))
    ? GenerationConfig.parse(
        await readJsonText(files, GENERATION_CONFIG_FILE, limits),
        `${files.location}/${GENERATION_CONFIG_FILE}`,
      )
    : undefined;
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
    ...(generationConfig === undefined ? {} : { generationConfig }),
    ...(options.sessionOptions === undefined ? {} : { sessionOptions: options.sessionOptions }),
    ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    ...(options.decoder === undefined ? {} : { decoder: options.decoder }),
    ...(options.prefill === undefined ? {} : { prefill: options.prefill }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  };
}

/** The config with `options.numLabels` / `options.id2label` applied, as HF's config keywords are. */
function withLabels(config: ImageGPTConfig, options: LoadOptions): ImageGPTConfig {
  const { numLabels, id2label } = options;
  if (numLabels === undefined && id2label === undefined) return config;
  const names = id2label === undefined ? undefined : Array.isArray(id2label) ? [...id2label] : undefined;
  const map = names === undefined ? id2label : Object.fromEntries(names.map((name, i) => [String(i), name]));
  if (numLabels !== undefined && map !== undefined && Object.keys(map).length !== numLabels) {
    throw new HeadsError(`is ${numLabels}, but options.id2label names ${Object.keys(map).length} labels`, {
      source: 'options.numLabels',
    });
  }
  return config.with(map === undefined ? { num_labels: numLabels } : { id2label: map }, 'options');
}
