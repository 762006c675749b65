import type { ImageGPTConfig } from '@imagegpt/config';
import type { HostTensor } from '@imagegpt/core';
import type { ImageGPTImageProcessor, RawImage } from '@imagegpt/processor';
import { HeadsError } from './heads-error.js';

/**
 * One input of a head: an image (run through the processor) or token ids already made
 * (a `number[]` or the `Int32Array` the processor returns).
 */
export type ImageInput = RawImage | ArrayLike<number>;

/** Whether `input` is an image rather than a list of ids. */
export function isRawImage(input: ImageInput): input is RawImage {
  return typeof input === 'object' && input !== null && 'width' in input && 'data' in input;
}

/**
 * Token rows for `inputs`: images become the processor's ids (no SOS); id lists are copied.
 * Throws when an image comes without a processor to read it.
 */
export function toTokenRows(
  inputs: readonly ImageInput[],
  processor: ImageGPTImageProcessor | undefined,
  method: string,
): number[][] {
  return inputs.map((input, i) => {
    if (!isRawImage(input)) return Array.from(input);
    if (processor === undefined) {
      throw new HeadsError(
        'is an image, but this model has no preprocessor_config.json; pass token ids instead',
        {
          source: `${method}: inputs[${i}]`,
        },
      );
    }
    const { inputIds } = processor.preprocessImage(input, { source: `inputs[${i}]` });
    if (inputIds === undefined) {
      throw new HeadsError(
        "is an image, but this model's preprocessor_config.json turns do_color_quantize off, so it gives pixel values, not the colour ids the model reads; pass token ids instead",
        { source: `${method}: inputs[${i}]` },
      );
    }
    return Array.from(inputIds);
  });
}

/**
 * Checks that every row holds colour ids (0 … vocabSize − 2, never SOS) and no more than
 * `maxLength` of them, so a wrong input fails here with its index rather than deep in a run.
 */
export function checkPixelRows(
  rows: readonly (readonly number[])[],
  config: ImageGPTConfig,
  method: string,
  maxLength: number,
): void {
  const top = config.vocabSize - 2;
  rows.forEach((row, i) => {
    if (row.length === 0 || row.length > maxLength) {
      throw new HeadsError(`has ${row.length} pixel ids, expected 1..${maxLength}`, {
        source: `${method}: inputs[${i}]`,
      });
    }
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id > top) {
        const hint = id === config.sosTokenId ? ' (SOS is added by the model; pass pixels only)' : '';
        throw new HeadsError(`id ${j} is ${id}, expected a colour id in 0..${top}${hint}`, {
          source: `${method}: inputs[${i}]`,
        });
      }
    });
  });
}

/**
 * The image size the model's sequences stand for: the processor's size when it fills the
 * context exactly, else the config's square side.
 */
export function imageShape(
  config: ImageGPTConfig,
  processor: ImageGPTImageProcessor | undefined,
): { width: number; height: number } {
  if (processor !== undefined && processor.size.width * processor.size.height === config.nPositions) {
    return { width: processor.size.width, height: processor.size.height };
  }
  if (config.imageSide !== undefined) return { width: config.imageSide, height: config.imageSide };
  throw new HeadsError(
    `n_positions ${config.nPositions} is not a square and no preprocessor_config.json gives the image size`,
    { source: 'config' },
  );
}

/**
 * Groups consecutive rows of the same length into batches of at most `batchSize`, because a
 * forward pass takes rectangular input only. Returns `[start, end)` index ranges.
 */
export function batchRanges(rows: readonly (readonly number[])[], batchSize: number): [number, number][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new HeadsError(`expected a positive integer, got ${batchSize}`, { source: 'options.batchSize' });
  }
  const ranges: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i === rows.length || i - start === batchSize || rows[i]!.length !== rows[start]!.length) {
      ranges.push([start, i]);
      start = i;
    }
  }
  return rows.length === 0 ? [] : ranges;
}

/** The float32 values of a runner output, checked, so a wrong dtype is named instead of misread. */
export function float32Data(tensor: HostTensor | undefined, name: string): Float32Array {
  if (tensor === undefined) throw new HeadsError('the runner returned no such output', { source: name });
  if (tensor.type !== 'float32' || !(tensor.data instanceof Float32Array)) {
    throw new HeadsError(`expected a float32 tensor from the runner, got ${tensor.type}`, { source: name });
  }
  return tensor.data;
}
