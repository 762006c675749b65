export { parseClusters } from './clusters.js';
export { decodeTokens } from './decode-tokens.js';
export type { ImageErrorDetails } from './image-error.js';
export { ImageError } from './image-error.js';
export {
  checkImageHeader,
  checkImageSize,
  DEFAULT_MAX_SCANS,
  DEFAULT_MAX_SIDE,
  type ImageHeader,
  type ImageLimits,
  readImageHeader,
} from './image-header.js';
export type {
  DecodeOptions,
  PreprocessedImage,
  PreprocessImageOptions,
  PreprocessOptions,
  PreprocessOutput,
  SavePretrainedOptions,
  SizeInput,
} from './image-processor.js';
export {
  ImageGPTFeatureExtractor,
  ImageGPTImageProcessor,
  MAX_IMAGE_SIDE,
  PREPROCESSOR_CONFIG_FILE,
} from './image-processor.js';
export type { LearnPaletteOptions, Palette } from './learn-palette.js';
export { learnPalette, PALETTE_DEFAULTS } from './learn-palette.js';
export { denormalizeValue, normalize } from './normalize.js';
export { paletteToPreprocessorConfig } from './palette-config.js';
export type { PILResample } from './pil-image-resampling.js';
export { isPILResample, PILImageResampling } from './pil-image-resampling.js';
export { checkPixelCount, DEFAULT_MAX_PIXELS } from './pixel-limit.js';
export type { ProcessorConfigErrorDetails } from './processor-config-error.js';
export { ProcessorConfigError } from './processor-config-error.js';
export { quantize } from './quantize.js';
export type { RawImage } from './raw-image.js';
export { assertRawImage } from './raw-image.js';
export { MAX_RESIZE_BYTES, resize, resizeBilinear } from './resize.js';
export { toRGB } from './to-rgb.js';
export { upscaleNearest } from './upscale-nearest.js';
