import { PILImageResampling } from './pil-image-resampling.js';

/**
 * One of Pillow's convolution filters (libImaging/Resample.c): its half-width in source pixels at
 * scale 1, and its weight at a distance `x` from the output sample's centre. The resampler widens
 * the support by the downscale factor, which is what makes Pillow's downscaling antialiased.
 */
export interface ResampleKernel {
  readonly support: number;
  readonly weight: (x: number) => number;
}

/*
 * The kernels below reproduce Pillow 9.4's double-precision formulas operation for operation,
 * because a one-ulp difference in a weight can move a 22-bit fixed-point coefficient and so a
 * resized byte. Two details look odd and are deliberate:
 *  - the box and Lanczos windows are half-open ((-0.5, 0.5] and [-3, 3)), as in Pillow;
 *  - Hamming's 0.54 and 0.46 are C `float` literals in Pillow, so their float32 values are used.
 */

function box(x: number): number {
  return x > -0.5 && x <= 0.5 ? 1 : 0;
}

function bilinear(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

function hamming(x: number): number {
  let a = x < 0 ? -x : x;
  if (a === 0) return 1;
  if (a >= 1) return 0;
  a *= Math.PI;
  return (Math.sin(a) / a) * (HAMMING_A + HAMMING_B * Math.cos(a));
}

/** Keys' cubic convolution with a = -0.5 (Catmull-Rom), written in Pillow's Horner order. */
const CUBIC_A = -0.5;
function bicubic(x: number): number {
  const a = x < 0 ? -x : x;
  if (a < 1) return ((CUBIC_A + 2) * a - (CUBIC_A + 3)) * a * a + 1;
  if (a < 2) return (((a - 5) * a + 8) * a - 4) * CUBIC_A;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Pillow's convolution filters by id; NEAREST is not one (it samples, see resize-nearest.ts). */
export const RESAMPLE_KERNELS: Readonly<Record<number, ResampleKernel>> = Object.freeze({
  [PILImageResampling.BOX]: { support: 0.5, weight: box },
  [PILImageResampling.BILINEAR]: { support: 1, weight: bilinear },
  [PILImageResampling.HAMMING]: { support: 1, weight: hamming },
  [PILImageResampling.BICUBIC]: { support: 2, weight: bicubic },
  [PILImageResampling.LANCZOS]: { support: 3, weight: lanczos },
});
