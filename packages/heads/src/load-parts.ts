import { CONFIG_FILE, GENERATION_CONFIG_FILE, GenerationConfig, ImageGPTConfig } from '@imagegpt/config';
import { type FileSource, loadCheckpoint } from '@imagegpt/core';
import { ImageGPTImageProcessor, PREPROCESSOR_CONFIG_FILE } from '@imagegpt/processor';
import { HeadsError } from './heads-error.js';
import type { LoadOptions, ModelParts } from './load-options.js';
import { checkProcessorMatches } from './processor-match.js';

/**
 * Reads a Hugging Face model folder through `files`: `config.json` (required, with the labels of
 * `options` applied), `preprocessor_config.json` and `generation_config.json` (optional) and the
 * weights (via `loadCheckpoint`).
 */
export async function loadParts(files: FileSource, options: LoadOptions): Promise<ModelParts> {
  if (!(await files.exists(CONFIG_FILE))) {
    throw new HeadsError(`no ${CONFIG_FILE}: expected a Hugging Face ImageGPT model folder`, {
      source: files.location,
    });
  }
  const decoder = new TextDecoder();
  const readText = async (path: string) => decoder.decode(await files.read(path));
  const config = withLabels(
    ImageGPTConfig.parse(await readText(CONFIG_FILE), `${files.location}/${CONFIG_FILE}`),
    options,
  );
  const processor = (await files.exists(PREPROCESSOR_CONFIG_FILE))
    ? ImageGPTImageProcessor.parse(
        await readText(PREPROCESSOR_CONFIG_FILE),
        `${files.location}/${PREPROCESSOR_CONFIG_FILE}`,
      )
    : undefined;
  // Checked before the weights are read: a mismatch would otherwise show only after a generation.
  if (processor !== undefined)
    checkProcessorMatches(config, processor, `${files.location}/${PREPROCESSOR_CONFIG_FILE}`);
  await options.beforeWeights?.(config);
  // After beforeWeights: a model refused by its size costs no request beyond the files it needs.
  const generationConfig = (await files.exists(GENERATION_CONFIG_FILE))
    ? GenerationConfig.parse(
        await readText(GENERATION_CONFIG_FILE),
        `${files.location}/${GENERATION_CONFIG_FILE}`,
      )
    : undefined;
  const checkpoint = await loadCheckpoint(files, {
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
