import type { ModelHead } from '@imagegpt/config';
import type { ForwardOptions, ForwardResult, HostTensor } from '@imagegpt/core';
import { type ClassifierLabels, classifierLoss, resolveProblemType, softmax } from './cross-entropy.js';
import { float32Tensor } from './head-weights.js';
import { HeadsError } from './heads-error.js';
import { ImageGPTHead } from './imagegpt-head.js';
import { trainLinearProbe } from './linear-probe.js';
import { batchRanges, float32Data, type ImageInput, toTokenRows } from './model-inputs.js';

/** Options of {@link ImageGPTForImageClassification.forward}. */
export interface ClassifierForwardOptions extends ForwardOptions {
  /**
   * Labels; the result then has HF's `loss` (float64) for the config's `problem_type`, or, when
   * the config leaves it unset, HF's rule: a single label is regression (mean squared error), one
   * class index per row (`number[]`) is cross-entropy, per-label float targets (`number[][]`)
   * are binary cross-entropy with logits.
   */
  labels?: ClassifierLabels;
}

/** What {@link ImageGPTForImageClassification.forward} returns. */
export interface ClassifierForwardResult extends ForwardResult {
  /** `[B, numLabels]` class logits. */
  logits: HostTensor;
  /** `[B, C]` mean of `lastHiddenState` over all positions: the classifier's features. */
  pooled: HostTensor;
  /** The loss against `labels` (see {@link ClassifierForwardOptions.labels}); only with labels. */
  loss?: number;
}

/** One class and its probability. */
export interface LabelScore {
  /** The class name from `config.id2label`. */
  label: string;
  /** The class index. */
  index: number;
  /** Softmax probability. */
  score: number;
}

/** What {@link ImageGPTForImageClassification.classify} returns for one input. */
export interface Classification {
  /** The most probable class's name (`config.id2label`). */
  label: string;
  /** The most probable class's index. */
  index: number;
  /** Its softmax probability. */
  score: number;
  /** The `topK` most probable classes, most probable first. */
  scores: LabelScore[];
}

/** Options of {@link ImageGPTForImageClassification.classify}. */
export interface ClassifyOptions {
  /** How many classes to list in `scores` (default: all). */
  topK?: number;
  /** Inputs per forward pass (default 32). */
  batchSize?: number;
}

/**
 * What {@link ImageGPTForImageClassification.trainHead} learns from: images or token rows (their
 * pooled features are computed), or `{ features }`, features already pooled as the classifier
 * pools them (`features()` with its defaults: the last hidden state, mean over all positions).
 */
export type TrainHeadInputs = readonly ImageInput[] | { readonly features: readonly ArrayLike<number>[] };

/** Options of {@link ImageGPTForImageClassification.trainHead}. */
export interface TrainHeadOptions {
  /** L2 penalty on the weights of the scaled features (default 1/n, scikit-learn's C = 1). */
  l2?: number;
  /** L-BFGS iterations at most (default 150). */
  maxIterations?: number;
  /** Inputs per forward pass while computing features (default 32). */
  batchSize?: number;
  /** Called after each batch of features, then after each L-BFGS iteration. */
  onProgress?: (e: { stage: 'features' | 'fit'; done: number; total: number; loss?: number }) => void;
}

/** What {@link ImageGPTForImageClassification.trainHead} returns. */
export interface TrainHeadResult {
  /** Share of the training inputs the fitted `score` classifies correctly (0 … 1). */
  trainAccuracy: number;
  /** L-BFGS iterations run. */
  iterations: number;
  /** The final regularised mean cross-entropy. */
  loss: number;
  /** Whether L-BFGS settled before its iteration limit. */
  converged: boolean;
}

/**
 * ImageGPT with its classification head (HF `ImageGPTForImageClassification`): the mean of
 * the last hidden state over all positions, then a bias-free linear layer. Images are fed as the
 * processor's pixel ids **without SOS**, as HF's classifier is used.
 *
 * @example
 * const model = await ImageGPTForImageClassification.fromSource(files, { backend });
 * const [top] = await model.classify([digit], { topK: 3 });
 * top.label; // "7"
 */
export class ImageGPTForImageClassification extends ImageGPTHead {
  static override readonly headKind: ModelHead = 'classifier';

  /** Runs the model on token rows: `logits` [B, numLabels], `pooled` [B, C] and, with labels, `loss`. */
  async forward(
    inputIds: readonly (readonly number[])[],
    options: ClassifierForwardOptions = {},
  ): Promise<ClassifierForwardResult> {
    const { labels, ...forwardOptions } = options;
    const result = await this.runner.forward(inputIds, forwardOptions);
    const { logits, pooled } = result;
    if (logits === undefined || pooled === undefined) {
      throw new HeadsError(
        'the runner returned no logits or pooled output; was it created with the classifier head?',
        {
          source: 'forward',
        },
      );
    }
    const output: ClassifierForwardResult = { ...result, logits, pooled };
    if (labels !== undefined) {
      const { numLabels, problemType } = this.config;
      output.loss = classifierLoss(
        float32Data(logits, 'logits'),
        labels,
        numLabels,
        resolveProblemType(problemType, numLabels, labels),
      );
    }
    return output;
  }

  /**
   * Classifies images or token rows (ids are fed as given): per input, the best class, its
   * probability and the `topK` best classes.
   */
  async classify(inputs: readonly ImageInput[], options: ClassifyOptions = {}): Promise<Classification[]> {
    const numLabels = this.config.numLabels;
    const topK = options.topK ?? numLabels;
    if (!Number.isInteger(topK) || topK < 1) {
      throw new HeadsError(`is ${topK}, expected a positive integer`, { source: 'options.topK' });
    }
    const rows = toTokenRows(inputs, this.processor, 'classify');
    const out: Classification[] = [];
    for (const [start, end] of batchRanges(rows, options.batchSize ?? 32)) {
      const { logits } = await this.runner.forward(rows.slice(start, end));
      const data = float32Data(logits, 'logits');
      for (let b = 0; b < end - start; b++) {
        const probs = softmax(data, b * numLabels, numLabels);
        const ranked = Array.from(probs, (score, index) => ({ label: this.#label(index), index, score }))
          .sort((x, y) => y.score - x.score || x.index - y.index)
          .slice(0, topK);
        const best = ranked[0]!;
        out.push({ label: best.label, index: best.index, score: best.score, scores: ranked });
      }
    }
    return out;
  }

  /**
   * Fits HF's `score` layer exactly as it is, a bias-free linear map from the pooled features to
   * the labels, by multinomial logistic regression (L2-regularised, L-BFGS; the feature scaling is
   * folded into the weights), on the frozen transformer. The model then classifies with it, and
   * {@link savePretrained} writes it, with `problem_type` `single_label_classification` as HF's
   * training would set. `labels` are class indices, one per input.
   *
   * @example
   * const model = await ImageGPTForImageClassification.fromPretrained(causalDir, { id2label: ['cat', 'dog'], seed: 1 });
   * const { trainAccuracy } = await model.trainHead(images, labels);
   * await model.savePretrained('./cats-and-dogs');
   */
  async trainHead(
    inputs: TrainHeadInputs,
    labels: readonly number[],
    options: TrainHeadOptions = {},
  ): Promise<TrainHeadResult> {
    const { numLabels, nEmbd, problemType } = this.config;
    if (numLabels < 2) {
      throw new HeadsError(
        `has ${numLabels} label; trainHead fits a classifier (cross-entropy), which needs at least 2`,
        { source: 'config.num_labels' },
      );
    }
    if (problemType !== null && problemType !== 'single_label_classification') {
      throw new HeadsError(
        `is ${problemType}; trainHead fits single_label_classification (one class index per input)`,
        { source: 'config.problem_type' },
      );
    }
    const features =
      'features' in inputs
        ? inputs.features
        : await this.features(inputs, {
            ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
            onProgress: (e) => options.onProgress?.({ stage: 'features', ...e }),
          });
    features.forEach((f, i) => {
      if (f.length !== nEmbd)
        throw new HeadsError(`has ${f.length} values, expected n_embd = ${nEmbd}`, {
          source: `features[${i}]`,
        });
    });
    const probe = trainLinearProbe(features, labels, {
      numClasses: numLabels,
      intercept: false,
      ...(options.l2 === undefined ? {} : { l2: options.l2 }),
      ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
      onProgress: (e) =>
        options.onProgress?.({ stage: 'fit', done: e.iteration, total: e.maxIterations, loss: e.loss }),
    });
    // nn.Linear stores [out, in]: the probe's [numClasses × dim] weights as they are.
    const score = float32Tensor('score.weight', [numLabels, nEmbd], Float32Array.from(probe.weights));
    await this.replaceWeights([score], this.config.with({ problem_type: 'single_label_classification' }));
    return {
      trainAccuracy: probe.accuracy(features, labels),
      iterations: probe.training.iterations,
      loss: probe.training.loss,
      converged: probe.training.converged,
    };
  }

  #label(index: number): string {
    return this.config.id2label[index] ?? `LABEL_${index}`;
  }
}
