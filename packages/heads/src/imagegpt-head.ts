import type {
  FileSink,
  FileSinkWriteOptions,
  GenerationConfig,
  ImageGPTConfig,
  ModelHead,
} from '@imagegpt/config';
import {
  type Checkpoint,
  type FileSource,
  ImageGPTRunner,
  type ImageGPTRunnerOptions,
  loadCheckpoint,
  type WeightTensor,
} from '@imagegpt/core';
import { randomSeed } from '@imagegpt/core/generation';
import type { ImageGPTImageProcessor } from '@imagegpt/processor';
import {
  extractFeatures,
  extractFeaturesByLayer,
  type FeatureOptions,
  type LayerFeatureOptions,
} from './features.js';
import {
  checkHeadWeights,
  float32Tensor,
  HEAD_CLASS_NAMES,
  hasTrunk,
  initialScore,
  withWeights,
} from './head-weights.js';
import { HeadsError } from './heads-error.js';
import type { LoadOptions, ModelParts } from './load-options.js';
import { loadParts } from './load-parts.js';
import { type ImageInput, toTokenRows } from './model-inputs.js';
import { checkProcessorMatches } from './processor-match.js';
import { writePretrained } from './save-pretrained.js';

/** How a head's runner is made, less what the head supplies: what making it again needs. */
export type RunnerSettings = Omit<ImageGPTRunnerOptions, 'config' | 'checkpoint' | 'head'>;

/** What a head is built from: the config, a running model and (optionally) the image processor. */
export interface HeadInit {
  readonly config: ImageGPTConfig;
  readonly runner: ImageGPTRunner;
  readonly processor?: ImageGPTImageProcessor;
  /**
   * Reads the weights the runner was made from, again: `savePretrained` writes them and
   * `trainHead` makes the runner anew. `fromSource` re-reads the folder (or keeps the checkpoint
   * when its weights were left in their files), `fromParts` keeps the checkpoint it was given.
   * Without it the head cannot be saved.
   */
  readonly weights?: () => Promise<Checkpoint>;
  /** How the runner was made (backend, dtype, ...), to make it again with new weights. */
  readonly runnerSettings?: RunnerSettings;
  /** Weights that replace or add to those {@link weights} reads (a newly initialised `score`). */
  readonly replaced?: ReadonlyMap<string, WeightTensor>;
  /** The causal head's generation settings (generation_config.json). */
  readonly generationConfig?: GenerationConfig;
}

/** A concrete head class, as the static constructors see it (`this` in `fromParts`). */
export interface HeadClass<T> {
  new (init: HeadInit): T;
  /** The runner head this class needs. */
  readonly headKind: ModelHead;
}

/**
 * What every ImageGPT head shares: the config, the processor, the runner, loading, saving and
 * feature extraction. The static constructors build an instance of whichever subclass they are
 * called on, so `class MyModel extends ImageGPTModel {}` gets `MyModel.fromSource()` returning a
 * `MyModel`.
 */
export abstract class ImageGPTHead {
  /** The runner head this class needs; subclasses override it. */
  static readonly headKind: ModelHead = 'base';

  /** The image processor, when the model folder has a `preprocessor_config.json`. */
  readonly processor?: ImageGPTImageProcessor;
  #config: ImageGPTConfig;
  #runner: ImageGPTRunner;
  readonly #weights: (() => Promise<Checkpoint>) | undefined;
  readonly #runnerSettings: RunnerSettings | undefined;
  readonly #replaced: Map<string, WeightTensor>;

  /** Wraps an already-created runner; most code uses `fromSource` or `fromParts` instead. */
  constructor(init: HeadInit) {
    this.#config = init.config;
    this.#runner = init.runner;
    if (init.processor !== undefined) this.processor = init.processor;
    this.#weights = init.weights;
    this.#runnerSettings = init.runnerSettings;
    this.#replaced = new Map(init.replaced);
  }

  /** The model's config (HF's `ImageGPTConfig`). */
  get config(): ImageGPTConfig {
    return this.#config;
  }

  /** The running model; for calls the head does not wrap. `trainHead` replaces it. */
  get runner(): ImageGPTRunner {
    return this.#runner;
  }

  /** Which head this is (`base`, `causal`, `classifier`): the class's `headKind`. */
  protected get headKind(): ModelHead {
    return (this.constructor as unknown as HeadClass<unknown>).headKind;
  }

  /**
   * Builds the head from parts in memory: checks the checkpoint has what this head needs, then
   * compiles and loads the model on `parts.backend`. A classifier built from a causal checkpoint
   * gets a new `score`, initialised as HF does (see {@link ModelParts.seed}), with a warning.
   *
   * @example
   * const model = await ImageGPTForCausalImageModeling.fromParts({ config, checkpoint, backend });
   */
  static async fromParts<T>(this: HeadClass<T>, parts: ModelParts): Promise<T> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass called on, so subclasses get their own instances.
    return buildHead(this, parts, async () => parts.checkpoint);
  }

  /**
   * Loads a Hugging Face model folder: `config.json`, `preprocessor_config.json` and
   * `generation_config.json` when present, and the weights (`model.safetensors` or
   * `pytorch_model.bin`, sharded or not). `numLabels` / `id2label` replace the config's labels, as
   * HF's keywords do; a classifier loaded from a causal checkpoint gets a new `score` (a warning
   * says so) to train with `trainHead`.
   *
   * @example
   * const model = await ImageGPTForImageClassification.fromSource(files, { backend });
   * const fresh = await ImageGPTForImageClassification.fromSource(causalFiles, { backend, numLabels: 10, seed: 1 });
   */
  static async fromSource<T>(this: HeadClass<T>, files: FileSource, options: LoadOptions): Promise<T> {
    const parts = await loadParts(files, options);
    const { checkpoint } = parts;
    // Weights left in their files (a Node folder's safetensors) cost nothing to keep, and keeping
    // them lets a session opened after a save over this very folder still find them: the save
    // reads them into these tensors before it replaces the file.
    const inFiles = checkpoint.names().some((name) => checkpoint.get(name).file !== undefined);
    const reread = inFiles
      ? async () => checkpoint
      : () => loadCheckpoint(files, options.prefer === undefined ? {} : { prefer: options.prefer });
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass called on, so subclasses get their own instances.
    return buildHead(this, parts, reread);
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

  /**
   * Saves the model as a Hugging Face folder into `sink`, the files transformers 4.31's
   * `save_pretrained` writes: `config.json` (naming this head's HF class in `architectures`),
   * `model.safetensors` (float32, HF's key names), `generation_config.json` for the causal head and
   * `preprocessor_config.json` when the model has a processor. Each file is written atomically;
   * without `force` an existing file is refused. The weights are read again from where the model
   * was loaded (`fromSource` re-reads its folder, or its safetensors file where they were left), with any trained `score` in place. Returns the
   * paths written. `@imagegpt/node`'s classes also take a folder path.
   *
   * @example
   * await model.savePretrained(new NodeFileSink('./my-model'));
   */
  async savePretrained(sink: FileSink, options: FileSinkWriteOptions = {}): Promise<string[]> {
    const generationConfig = this.generationConfigToSave();
    return writePretrained(
      sink,
      {
        head: this.headKind,
        config: this.config,
        checkpoint: await this.weights(),
        ...(this.processor === undefined ? {} : { processor: this.processor }),
        ...(generationConfig === undefined ? {} : { generationConfig }),
      },
      options,
    );
  }

  /** The generation settings `savePretrained` writes; only the causal head has them. */
  protected generationConfigToSave(): GenerationConfig | undefined {
    return undefined;
  }

  /** The model's weights as the runner has them: read again, with the replaced ones in place. */
  protected async weights(): Promise<Checkpoint> {
    if (this.#weights === undefined) {
      throw new HeadsError(
        'this head was made from a runner alone and cannot read its weights again; make it with fromSource or fromParts',
        { source: HEAD_CLASS_NAMES[this.headKind] },
      );
    }
    return withWeights(await this.#weights(), this.headKind, this.#replaced);
  }

  /**
   * Puts `tensors` in place of the model's (or adds them) and makes the runner again with them and
   * `config`, so every later call uses them; `savePretrained` writes them. The old runner is
   * disposed once the new one runs.
   */
  protected async replaceWeights(tensors: readonly WeightTensor[], config = this.config): Promise<void> {
    const settings = this.#runnerSettings;
    if (settings === undefined) {
      throw new HeadsError(
        'this head was made from a runner alone and cannot make it again; make it with fromSource or fromParts',
        {
          source: HEAD_CLASS_NAMES[this.headKind],
        },
      );
    }
    const replaced = new Map(this.#replaced);
    for (const tensor of tensors) replaced.set(tensor.name, tensor);
    const checkpoint = withWeights(await this.weights(), this.headKind, replaced);
    const runner = await ImageGPTRunner.create({ ...settings, config, checkpoint, head: this.headKind });
    const old = this.#runner;
    this.#runner = runner;
    this.#config = config;
    for (const tensor of tensors) this.#replaced.set(tensor.name, tensor);
    await old.dispose();
  }

  /** Releases the runtime session; the head is unusable afterwards. */
  async dispose(): Promise<void> {
    await this.runner.dispose();
  }
}

async function buildHead<T>(
  cls: HeadClass<T>,
  parts: ModelParts,
  read: () => Promise<Checkpoint>,
): Promise<T> {
  const replaced = new Map<string, WeightTensor>();
  if (cls.headKind === 'classifier' && !parts.checkpoint.has('score.weight') && hasTrunk(parts.checkpoint)) {
    // HF's from_pretrained initialises the weights a checkpoint lacks and warns that they need training.
    const { config } = parts;
    const score = initialScore(config, parts.seed ?? randomSeed());
    replaced.set('score.weight', float32Tensor('score.weight', [config.numLabels, config.nEmbd], score));
    const unused = parts.checkpoint.has('lm_head.weight')
      ? " It does not use the checkpoint's lm_head.weight."
      : '';
    (parts.onWarning ?? console.warn)(
      `Some weights of ${HEAD_CLASS_NAMES.classifier} were not initialized from the checkpoint at ` +
        `${parts.checkpoint.source} and are newly initialized: ['score.weight'] (${config.numLabels} labels, ` +
        `normal(0, ${config.initializerRange})). Train them (trainHead) before using the model for predictions.${unused}`,
    );
  }
  const checkpoint = withWeights(parts.checkpoint, cls.headKind, replaced);
  checkHeadWeights(checkpoint, cls.headKind);
  if (parts.processor !== undefined) checkProcessorMatches(parts.config, parts.processor);
  const runnerSettings: RunnerSettings = {
    backend: parts.backend,
    ...(parts.sessionOptions === undefined ? {} : { sessionOptions: parts.sessionOptions }),
    ...(parts.dtype === undefined ? {} : { dtype: parts.dtype }),
    ...(parts.decoder === undefined ? {} : { decoder: parts.decoder }),
    ...(parts.prefill === undefined ? {} : { prefill: parts.prefill }),
  };
  const runner = await ImageGPTRunner.create({
    ...runnerSettings,
    config: parts.config,
    checkpoint,
    head: cls.headKind,
  });
  return new cls({
    config: parts.config,
    runner,
    weights: read,
    runnerSettings,
    replaced,
    ...(parts.processor === undefined ? {} : { processor: parts.processor }),
    ...(parts.generationConfig === undefined ? {} : { generationConfig: parts.generationConfig }),
  });
}
