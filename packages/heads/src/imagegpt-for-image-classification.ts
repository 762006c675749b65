import type { ModelHead } from '@imagegpt/config';
import type { ForwardOptions, ForwardResult, HostTensor } from '@imagegpt/core';
import { crossEntropy, softmax } from './cross-entropy.js';
import { HeadsError } from './heads-error.js';
import { ImageGPTHead } from './imagegpt-head.js';
import { batchRanges, float32Data, type ImageInput, toTokenRows } from './model-inputs.js';

/** Options of {@link ImageGPTForImageClassification.forward}. */
export interface ClassifierForwardOptions extends ForwardOptions {
  /** One class index per row; the result then has the cross-entropy `loss` (float64). */
  labels?: readonly number[];
}

/** What {@link ImageGPTForImageClassification.forward} returns. */
export interface ClassifierForwardResult extends ForwardResult {
  /** `[B, numLabels]` class logits. */
  logits: HostTensor;
  /** `[B, C]` mean of `lastHiddenState` over all positions: the classifier's features. */
  pooled: HostTensor;
  /** Mean cross-entropy against `labels`; only with labels. */
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
    if (labels !== undefined)
      output.loss = this.#loss(float32Data(logits, 'logits'), labels, inputIds.length);
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

  #label(index: number): string {
    return this.config.id2label[index] ?? `LABEL_${index}`;
  }

  #loss(logits: Float32Array, labels: readonly number[], batch: number): number {
    const numLabels = this.config.numLabels;
    if (labels.length !== batch) {
      throw new HeadsError(`has ${labels.length} entries, expected one per input row (${batch})`, {
        source: 'labels',
      });
    }
    let sum = 0;
    labels.forEach((label, b) => {
      if (!Number.isInteger(label) || label < 0 || label >= numLabels) {
        throw new HeadsError(`is ${label}, expected a class index in 0..${numLabels - 1}`, {
          source: `labels[${b}]`,
        });
      }
      sum += crossEntropy(logits, b * numLabels, numLabels, label);
    });
    return sum / batch;
  }
}
