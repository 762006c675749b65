import type { ImageGPTConfig, ModelHead } from '@imagegpt/config';
import { type FileSource, ImageGPTRunner } from '@imagegpt/core';
import type { ImageGPTImageProcessor } from '@imagegpt/processor';
import {
  extractFeatures,
  extractFeaturesByLayer,
  type FeatureOptions,
  type LayerFeatureOptions,
} from './features.js';
import { checkHeadWeights } from './head-weights.js';
import type { LoadOptions, ModelParts } from './load-options.js';
import { loadParts } from './load-parts.js';
import { type ImageInput, toTokenRows } from './model-inputs.js';
import { checkProcessorMatches } from './processor-match.js';

/** What a head is built from: the config, a running model and (optionally) the image processor. */
export interface HeadInit {
  readonly config: ImageGPTConfig;
  readonly runner: ImageGPTRunner;
  readonly processor?: ImageGPTImageProcessor;
}

/** A concrete head class, as the static constructors see it (`this` in `fromParts`). */
export interface HeadClass<T> {
  new (init: HeadInit): T;
  /** The runner head this class needs. */
  readonly headKind: ModelHead;
}

/**
 * What every ImageGPT head shares: the config, the processor, the runner, loading and feature
 * extraction. The static constructors build an instance of whichever subclass they are called
 * on, so `class MyModel extends ImageGPTModel {}` gets `MyModel.fromSource()` returning a `MyModel`.
 */
export abstract class ImageGPTHead {
  /** The runner head this class needs; subclasses override it. */
  static readonly headKind: ModelHead = 'base';

  readonly config: ImageGPTConfig;
  /** The image processor, when the model folder has a `preprocessor_config.json`. */
  readonly processor?: ImageGPTImageProcessor;
  /** The running model; for calls the head does not wrap. */
  readonly runner: ImageGPTRunner;

  /** Wraps an already-created runner; most code uses `fromSource` or `fromParts` instead. */
  constructor(init: HeadInit) {
    this.config = init.config;
    this.runner = init.runner;
    if (init.processor !== undefined) this.processor = init.processor;
  }

  /**
   * Builds the head from parts in memory: checks the checkpoint has what this head needs, then
   * compiles and loads the model on `parts.backend`.
   *
   * @example
   * const model = await ImageGPTForCausalImageModeling.fromParts({ config, checkpoint, backend });
   */
  static async fromParts<T>(this: HeadClass<T>, parts: ModelParts): Promise<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass called on, so subclasses get their own instances.
    return buildHead(this, parts);
  }

  /**
   * Loads a Hugging Face model folder: `config.json`, `preprocessor_config.json` when present,
   * and the weights (`model.safetensors` or `pytorch_model.bin`, sharded or not).
   *
   * @example
   * const model = await ImageGPTForImageClassification.fromSource(files, { backend });
   */
  static async fromSource<T>(this: HeadClass<T>, files: FileSource, options: LoadOptions): Promise<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass called on, so subclasses get their own instances.
    return buildHead(this, await loadParts(files, options));
  }

  /**
   * Hidden-state features of images or token rows: one `Float32Array` per input, `[C]` when
   * mean-pooled (the default) or `[T·C]`. The input of a linear probe.
   *
   * @example
   * const feats = await model.features(images, { layer: 3 });
   * const probe = trainLinearProbe(feats, labels, { numClasses: 10 });
   */
  async features(inputs: readonly ImageInput[], options: FeatureOptions = {}): Promise<Float32Array[]> {
    return extractFeatures(this.runner, toTokenRows(inputs, this.processor, 'features'), options);
  }

  /**
   * Features of several hidden layers in one pass: `result[i][r]` is layer `layers[i]` (default:
   * all, 0..nLayer) of input `r`. What a linear probe over every layer needs.
   *
   * @example
   * const [emb, ...blocks] = await model.featuresByLayer(images);
   */
  async featuresByLayer(
    inputs: readonly ImageInput[],
    options: LayerFeatureOptions = {},
  ): Promise<Float32Array[][]> {
    return extractFeaturesByLayer(this.runner, toTokenRows(inputs, this.processor, 'features'), options);
  }

  /** Releases the runtime session; the head is unusable afterwards. */
  async dispose(): Promise<void> {
    await this.runner.dispose();
  }
}

async function buildHead<T>(cls: HeadClass<T>, parts: ModelParts): Promise<T> {
  checkHeadWeights(parts.checkpoint, cls.headKind);
  if (parts.processor !== undefined) checkProcessorMatches(parts.config, parts.processor);
  const runner = await ImageGPTRunner.create({
    backend: parts.backend,
    config: parts.config,
    checkpoint: parts.checkpoint,
    head: cls.headKind,
    ...(parts.sessionOptions === undefined ? {} : { sessionOptions: parts.sessionOptions }),
    ...(parts.dtype === undefined ? {} : { dtype: parts.dtype }),
    ...(parts.decoder === undefined ? {} : { decoder: parts.decoder }),
    ...(parts.prefill === undefined ? {} : { prefill: parts.prefill }),
  });
  return new cls({
    config: parts.config,
    runner,
    ...(parts.processor === undefined ? {} : { processor: parts.processor }),
  });
}
