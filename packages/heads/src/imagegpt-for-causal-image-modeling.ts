import { GenerationConfig, type GenerationDefaults, type ModelHead } from '@imagegpt/config';
import {
  type ForwardOptions,
  type ForwardResult,
  type GenerateOptions,
  generate,
  type RowEvent,
} from '@imagegpt/core';
import type { RawImage } from '@imagegpt/processor';
import { causalLoss, crossEntropy } from './cross-entropy.js';
import { decodePixels } from './decode-pixels.js';
import { HeadsError } from './heads-error.js';
import { type HeadInit, ImageGPTHead } from './imagegpt-head.js';
import {
  batchRanges,
  checkPixelRows,
  float32Data,
  type ImageInput,
  imageShape,
  toTokenRows,
} from './model-inputs.js';

/** Options of {@link ImageGPTForCausalImageModeling.forward}. */
export interface CausalForwardOptions extends ForwardOptions {
  /** With labels (usually the input ids), the result has HF's causal `loss`; −100 labels are skipped. */
  labels?: readonly (readonly number[])[];
}

/** What {@link ImageGPTForCausalImageModeling.forward} returns. */
export interface CausalForwardResult extends ForwardResult {
  /** Mean cross-entropy of `logits[:, :-1]` against `labels[:, 1:]`, computed in float64; only with labels. */
  loss?: number;
}

/** What `onRow` receives from the heads: the token rows, and the partial images when there is a processor. */
export interface ImageRowEvent extends RowEvent {
  /**
   * The partial image of each sequence, full size, with the pixels not yet generated black (as in
   * {@link GenerateOutput.images}). Present when the model has an image processor.
   */
  images?: RawImage[];
}

/** Options of {@link ImageGPTForCausalImageModeling.generate}: core's, with `onRow` given partial images. */
export interface ImageGenerateOptions extends Omit<GenerateOptions, 'onRow'> {
  /** Called whenever a generated token completes an image row; a returned promise is awaited. */
  onRow?: (event: ImageRowEvent) => unknown;
}

/** What {@link ImageGPTForCausalImageModeling.generate} returns. */
export interface GenerateOutput {
  /** Prompt + generated tokens per row, SOS first. */
  sequences: number[][];
  /**
   * Each sequence as an RGB image (pixels = the sequence without SOS; a partial sequence leaves
   * the remaining pixels black). Present when the model has an image processor.
   */
  images?: RawImage[];
  /**
   * With `outputScores`: per step, the `[rows, V−1]` scores each token was picked from, as HF
   * returns them: the logits when greedy, the warped scores when sampling (NaN for a row that is done).
   */
  scores?: Float32Array[];
}

/** Options of {@link ImageGPTForCausalImageModeling.complete}: generation options plus how much to keep. */
export interface CompleteOptions
  extends Omit<ImageGenerateOptions, 'prompt' | 'batchSize' | 'maxLength' | 'maxNewTokens'> {
  /**
   * Image rows kept from the top; the rest is generated. One number for every input, or one per
   * input (the completions then run as one batch of prompts of different lengths, each giving what
   * it gives alone). Wins over `fraction`.
   */
  rows?: number | readonly number[];
  /** Share of the image rows kept, rounded down (default 0.5: the top half). */
  fraction?: number;
}

/** One input's result from {@link ImageGPTForCausalImageModeling.complete}. */
export interface Completion {
  /** The input's pixel ids (no SOS). */
  original: number[];
  /** The pixel ids kept as the prompt: `original[0 : rows·W]` (this input's rows). */
  kept: number[];
  /** `numReturnSequences` full images of pixel ids (no SOS), each starting with `kept`. */
  completions: number[][];
  /** The completions as RGB images, when the model has an image processor. */
  images?: RawImage[];
}

/** What {@link ImageGPTForCausalImageModeling.nll} returns. */
export interface NllResult {
  /** Mean negative log-likelihood per pixel token, in nats, over all inputs. */
  nats: number;
  /** The same in bits (`nats / ln 2`). */
  bits: number;
  /** Number of pixel tokens scored. */
  tokens: number;
  /** Mean nats per token of each input. */
  perInput: number[];
}

/** Options of {@link ImageGPTForCausalImageModeling.nll}. */
export interface NllOptions {
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /** Called after every batch. */
  onProgress?: (e: { done: number; total: number }) => void;
}

/**
 * ImageGPT with its causal image-modeling head (HF `ImageGPTForCausalImageModeling`): next-pixel
 * logits over the `vocabSize − 1` colours, generation, completion of partial images and
 * likelihoods.
 *
 * @example
 * const model = await ImageGPTForCausalImageModeling.fromSource(files, { backend });
 * const { images } = await model.generate({ doSample: true, seed: 1, batchSize: 4 });
 * const [{ completions }] = await model.complete([digit], { fraction: 0.5, doSample: true, seed: 2 });
 * const { bits } = await model.nll(testDigits);
 */
export class ImageGPTForCausalImageModeling extends ImageGPTHead {
  static override readonly headKind: ModelHead = 'causal';

  /**
   * The model's generation settings: its folder's `generation_config.json`, or, without one, those
   * HF makes from `config.json`. What they set is the default of {@link generate}.
   */
  readonly generationConfig: GenerationConfig;

  constructor(init: HeadInit) {
    super(init);
    this.generationConfig = init.generationConfig ?? GenerationConfig.fromModelConfig(init.config);
  }

  protected override generationConfigToSave(): GenerationConfig {
    return this.generationConfig;
  }

  /**
   * Runs the model on token rows (SOS first, as HF expects): `logits` [B,T,V−1], hidden states,
   * the cache and, with `labels`, HF's causal `loss`.
   */
  async forward(
    inputIds: readonly (readonly number[])[],
    options: CausalForwardOptions = {},
  ): Promise<CausalForwardResult> {
    const { labels, ...forwardOptions } = options;
    if (labels !== undefined && labels.length !== inputIds.length) {
      throw new HeadsError(`has ${labels.length} rows, expected one per input row (${inputIds.length})`, {
        source: 'labels',
      });
    }
    const result: CausalForwardResult = await this.runner.forward(inputIds, forwardOptions);
    if (labels !== undefined) {
      result.loss = causalLoss(float32Data(result.logits, 'logits'), labels, this.config.vocabSize - 1);
    }
    return result;
  }

  /**
   * Generates images (HF `generate` semantics: greedy by default, `doSample` with temperature,
   * top-k and top-p, a seeded portable RNG). Runs to a full image unless `maxLength` or
   * `maxNewTokens` says otherwise. What the model's {@link generationConfig} sets (do_sample,
   * temperature, top_k, top_p, max_length, max_new_tokens, num_return_sequences) is the default;
   * options given here win. Prompt rows may differ in length.
   *
   * @example
   * const { sequences, images } = await model.generate({ doSample: true, temperature: 1, seed: 7, batchSize: 4 });
   */
  async generate(options: ImageGenerateOptions = {}): Promise<GenerateOutput> {
    const { sequences, scores } = await generate(this.#generative(), {
      ...this.#generationDefaults(options),
      ...definedOnly(this.#withRowImages(options)),
    });
    const output: GenerateOutput = { sequences };
    if (scores !== undefined) output.scores = scores;
    const { processor } = this;
    if (processor !== undefined) {
      const { width, height } = imageShape(this.config, processor);
      output.images = sequences.map((s) => decodePixels(processor, this.#pixelsOf(s), width, height));
    }
    return output;
  }

  /**
   * Keeps the top `rows` image rows of each input (images or pixel ids without SOS) and
   * generates the rest: the prompt is `[SOS, ...pixels[0 : rows·W]]`.
   *
   * @example
   * const [c] = await model.complete([digit], { rows: 8, doSample: true, numReturnSequences: 3, seed: 1 });
   * c.completions.length; // 3, each 256 pixel ids beginning with c.kept
   */
  async complete(inputs: readonly ImageInput[], options: CompleteOptions = {}): Promise<Completion[]> {
    const { rows: rowsOption, fraction, ...generateOptions } = options;
    const { width, height } = imageShape(this.config, this.processor);
    if (rowsOption === undefined && fraction !== undefined && !(fraction >= 0 && fraction < 1)) {
      throw new HeadsError(`is ${fraction}, expected a share in [0, 1)`, { source: 'options.fraction' });
    }
    const rowsOf = (i: number): number => {
      const rows = Array.isArray(rowsOption)
        ? (rowsOption as readonly number[])[i]
        : ((rowsOption as number | undefined) ?? Math.floor(height * (fraction ?? 0.5)));
      if (rows === undefined || !Number.isInteger(rows) || rows < 0 || rows >= height) {
        throw new HeadsError(
          `is ${rows}, expected an integer in 0..${height - 1} (at least one row is generated)`,
          { source: Array.isArray(rowsOption) ? `options.rows[${i}]` : 'options.rows' },
        );
      }
      return rows;
    };
    const originals = toTokenRows(inputs, this.processor, 'complete');
    if (Array.isArray(rowsOption) && rowsOption.length !== originals.length) {
      throw new HeadsError(`has ${rowsOption.length} entries, expected one per input (${originals.length})`, {
        source: 'options.rows',
      });
    }
    checkPixelRows(originals, this.config, 'complete', this.config.nPositions);
    const keeps = originals.map((pixels, i) => {
      const rows = rowsOf(i);
      const keep = rows * width;
      if (pixels.length < keep) {
        throw new HeadsError(`has ${pixels.length} pixel ids, fewer than the ${keep} of ${rows} kept rows`, {
          source: `complete: inputs[${i}]`,
        });
      }
      return keep;
    });
    if (originals.length === 0) return [];
    const sos = this.config.sosTokenId;
    const prompt = originals.map((pixels, i) => [sos, ...pixels.slice(0, keeps[i])]);
    const copies =
      generateOptions.numReturnSequences ?? this.generationConfig.defaults().numReturnSequences ?? 1;
    // A completion fills the image: the file's lengths do not apply, its sampling settings do.
    const { maxLength: _, maxNewTokens: __, ...sampling } = this.generationConfig.defaults();
    const { sequences } = await generate(this.#generative(), {
      ...sampling,
      ...definedOnly(this.#withRowImages(generateOptions)),
      prompt,
    });
    const { processor } = this;
    return originals.map((original, i) => {
      const completions = sequences.slice(i * copies, (i + 1) * copies).map((s) => s.slice(1));
      const completion: Completion = { original, kept: original.slice(0, keeps[i]), completions };
      if (processor !== undefined)
        completion.images = completions.map((p) => decodePixels(processor, p, width, height));
      return completion;
    });
  }

  /**
   * Negative log-likelihood of images or pixel-id rows (no SOS), the model card's convention:
   * the input is `[SOS] + pixels[0 : n−1]` and all `n` pixel tokens are scored, so the mean is in
   * nats (and bits) per pixel token.
   *
   * @example
   * const { nats, bits } = await model.nll(testDigits, { batchSize: 64 }); // ≈ 0.466, 0.672 on MNIST test
   */
  async nll(inputs: readonly ImageInput[], options: NllOptions = {}): Promise<NllResult> {
    const rows = toTokenRows(inputs, this.processor, 'nll');
    checkPixelRows(rows, this.config, 'nll', this.config.nPositions);
    const classes = this.config.vocabSize - 1;
    const sos = this.config.sosTokenId;
    const perInput: number[] = [];
    let total = 0;
    let tokens = 0;
    for (const [start, end] of batchRanges(rows, options.batchSize ?? 32)) {
      const batch = rows.slice(start, end);
      const length = batch[0]!.length;
      const { logits } = await this.runner.forward(
        batch.map((pixels) => [sos, ...pixels.slice(0, length - 1)]),
      );
      const data = float32Data(logits, 'logits');
      batch.forEach((pixels, b) => {
        let sum = 0;
        for (let t = 0; t < length; t++)
          sum += crossEntropy(data, (b * length + t) * classes, classes, pixels[t]!);
        perInput.push(sum / length);
        total += sum;
        tokens += length;
      });
      options.onProgress?.({ done: end, total: rows.length });
    }
    const nats = total / tokens;
    return { nats, bits: nats / Math.LN2, tokens, perInput };
  }

  /**
   * The settings of {@link generationConfig} that `options` leaves to it. A length given in
   * `options` (maxLength or maxNewTokens) replaces both of the file's.
   */
  #generationDefaults(options: ImageGenerateOptions): GenerationDefaults {
    const defaults = this.generationConfig.defaults();
    if (options.maxLength === undefined && options.maxNewTokens === undefined) return defaults;
    const { maxLength: _, maxNewTokens: __, ...rest } = defaults;
    return rest;
  }

  /**
   * What core's `generate` drives: the runner's decoder, with the image width taken from the
   * processor or the config so row events match the image.
   */
  #generative() {
    const { width } = imageShape(this.config, this.processor);
    const { vocabSize, nPositions } = this.config;
    return {
      config: { vocabSize, nPositions, imageSide: width },
      createDecoder: (batchSize: number) => this.runner.createDecoder(batchSize),
    };
  }

  /** Core's options, with `onRow` wrapped to add each sequence's partial image. */
  #withRowImages<T extends { onRow?: (event: ImageRowEvent) => unknown }>(
    options: T,
  ): Omit<T, 'onRow'> & Pick<GenerateOptions, 'onRow'> {
    const { onRow, ...rest } = options;
    const { processor } = this;
    if (onRow === undefined) return rest;
    if (processor === undefined) return { ...rest, onRow };
    const { width, height } = imageShape(this.config, processor);
    return {
      ...rest,
      onRow: (event: RowEvent) =>
        onRow({ ...event, images: event.pixels.map((p) => decodePixels(processor, p, width, height)) }),
    };
  }

  #pixelsOf(sequence: readonly number[]): number[] {
    return sequence[0] === this.config.sosTokenId ? sequence.slice(1) : [...sequence];
  }
}

/** `options` without its undefined entries, so they leave the defaults they are spread over alone. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
