/**
 * Pillow's resampling filter ids (`PIL.Image.Resampling`), the values `preprocessor_config.json`
 * stores under `resample` and HF calls `PILImageResampling`. `ANTIALIAS` is Pillow's old name for
 * LANCZOS.
 *
 * @example
 * processor.preprocess(image, { resample: PILImageResampling.BICUBIC });
 */
export const PILImageResampling = Object.freeze({
  NEAREST: 0,
  LANCZOS: 1,
  BILINEAR: 2,
  BICUBIC: 3,
  BOX: 4,
  HAMMING: 5,
} as const);

/** One of Pillow's resampling filter ids, 0 to 5 (see {@link PILImageResampling}). */
export type PILResample = (typeof PILImageResampling)[keyof typeof PILImageResampling];

/** Whether `value` is one of Pillow's filter ids (an integer 0 to 5). */
export function isPILResample(value: unknown): value is PILResample {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 5;
}
