import { parseClusters } from './clusters.js';
import { decodeTokens } from './decode-tokens.js';
import { ImageError } from './image-error.js';
import { normalize } from './normalize.js';
import { ProcessorConfigError } from './processor-config-error.js';
import { quantize } from './quantize.js';
import type { RawImage } from './raw-image.js';
import { resizeBilinear } from './resize.js';
import { toRGB } from './to-rgb.js';

/**
 * The largest `size.height` / `size.width` accepted. ImageGPT checkpoints use 32, 48 or 64; a
 * 4096×4096 RGB target is 48 MiB, while a typo like 100000 would ask for tens of gigabytes.
 */
export const MAX_IMAGE_SIDE = 4096;

/** Pillow's BILINEAR, the only resample filter ImageGPT checkpoints use and the only one implemented. */
const PIL_BILINEAR = 2;
/** HF's defaults when a key is absent from `preprocessor_config.json`. */
const DEFAULTS = {
  size: { height: 256, width: 256 },
  resample: PIL_BILINEAR,
  doResize: true,
  doNormalize: true,
  doColorQuantize: true,
};
const KNOWN_KEYS = new Set([
  'clusters',
  'do_resize',
  'size',
  'resample',
  'do_normalize',
  'do_color_quantize',
  'image_processor_type',
]);

/** What {@link ImageGPTImageProcessor.preprocess} returns for one image. */
export interface PreprocessResult {
  /** The RGB image after the resize (the input, as RGB, when `doResize` is off). */
  readonly resized: RawImage;
  /** `H*W*3` floats: normalised to [-1, 1] when `doNormalize`, raw 0..255 otherwise. */
  readonly pixels: Float32Array;
  /** `H*W` colour-cluster ids, row-major, no SOS; empty when `doColorQuantize` is off. */
  readonly ids: Int32Array;
}

/** Options for {@link ImageGPTImageProcessor.decode}. */
export interface DecodeOptions {
  readonly width?: number;
  readonly height?: number;
}

/**
 * HF's `ImageGPTImageProcessor`: convert to RGB, resize with Pillow-exact BILINEAR, normalise to
 * [-1, 1], and map every pixel to its nearest colour cluster, giving `H*W` token ids (no SOS).
 * Read one from a `preprocessor_config.json` with {@link ImageGPTImageProcessor.parse}.
 *
 * @example
 * const processor = ImageGPTImageProcessor.parse(text, 'preprocessor_config.json');
 * const [ids] = processor.encode(image);            // Int32Array of H*W ids
 * const back = processor.decode(ids);               // RGB RawImage in the palette's colours
 */
export class ImageGPTImageProcessor {
  /** The palette, k×3 row-major, in normalised [-1, 1] space (empty when the config has none). */
  readonly clusters: Float64Array;
  /** k, the number of colour clusters (the model's vocabulary without SOS). */
  readonly numClusters: number;
  /** The target size of the resize. */
  readonly size: { readonly height: number; readonly width: number };
  readonly doResize: boolean;
  readonly doNormalize: boolean;
  readonly doColorQuantize: boolean;
  /** The Pillow filter id; always 2 (BILINEAR). */
  readonly resample: number;
  /** Keys this class does not interpret, kept so {@link toJSON} round-trips the file. */
  private readonly extra: Readonly<Record<string, unknown>>;

  private constructor(fields: {
    clusters: Float64Array;
    size: { height: number; width: number };
    resample: number;
    doResize: boolean;
    doNormalize: boolean;
    doColorQuantize: boolean;
    extra: Record<string, unknown>;
  }) {
    this.clusters = fields.clusters;
    this.numClusters = fields.clusters.length / 3;
    this.size = Object.freeze({ ...fields.size });
    this.resample = fields.resample;
    this.doResize = fields.doResize;
    this.doNormalize = fields.doNormalize;
    this.doColorQuantize = fields.doColorQuantize;
    this.extra = Object.freeze({ ...fields.extra });
  }

  /**
   * Builds a processor from a parsed `preprocessor_config.json`. Missing keys take HF's defaults
   * (256×256, BILINEAR, all steps on). `size` may be `{height, width}`, an int (square) or
   * `[height, width]`; `{shortest_edge}` is refused because ImageGPT resizes to an exact size.
   * Unknown keys are kept for {@link toJSON}. Throws a {@link ProcessorConfigError} naming the
   * field otherwise.
   */
  static fromJSON(json: unknown, source?: string): ImageGPTImageProcessor {
    const where = source === undefined ? {} : { file: source };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new ProcessorConfigError('not a JSON object', {
        ...where,
        value: json,
        expected: 'an object like HF preprocessor_config.json',
      });
    }
    const obj = json as Record<string, unknown>;
    const flag = (key: string, fallback: boolean): boolean => {
      const v = obj[key];
      if (v === undefined || v === null) return fallback;
      if (typeof v !== 'boolean')
        throw new ProcessorConfigError('wrong type', {
          ...where,
          field: key,
          value: v,
          expected: 'true or false',
        });
      return v;
    };
    const doResize = flag('do_resize', DEFAULTS.doResize);
    const doNormalize = flag('do_normalize', DEFAULTS.doNormalize);
    const doColorQuantize = flag('do_color_quantize', DEFAULTS.doColorQuantize);

    const resample = obj.resample ?? DEFAULTS.resample;
    if (resample !== PIL_BILINEAR) {
      throw new ProcessorConfigError('unsupported resample filter', {
        ...where,
        field: 'resample',
        value: resample,
        expected: '2 (PIL.Image.BILINEAR), the only filter implemented',
      });
    }

    const size = parseSize(obj.size, where);

    let clusters: Float64Array;
    if (obj.clusters === undefined || obj.clusters === null) {
      if (doColorQuantize) {
        throw new ProcessorConfigError('do_color_quantize is true but there are no clusters', {
          ...where,
          field: 'clusters',
          value: obj.clusters,
          expected: 'a k×3 list of colours in [-1, 1]',
        });
      }
      clusters = new Float64Array(0);
    } else {
      clusters = parseClusters(obj.clusters, source);
    }

    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) if (!KNOWN_KEYS.has(key)) extra[key] = value;
    extra.image_processor_type = obj.image_processor_type ?? 'ImageGPTImageProcessor';
    return new ImageGPTImageProcessor({
      clusters,
      size,
      resample,
      doResize,
      doNormalize,
      doColorQuantize,
      extra,
    });
  }

  /** Parses the text of a `preprocessor_config.json`; see {@link fromJSON}. */
  static parse(text: string, source?: string): ImageGPTImageProcessor {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new ProcessorConfigError(
        `not valid JSON (${(cause as Error).message})`,
        source === undefined ? {} : { file: source },
        { cause },
      );
    }
    return ImageGPTImageProcessor.fromJSON(json, source);
  }

  /** The config as HF writes it (keys sorted, clusters as a k×3 list), unknown keys included. */
  toJSON(): Record<string, unknown> {
    const all: Record<string, unknown> = {
      ...this.extra,
      do_color_quantize: this.doColorQuantize,
      do_normalize: this.doNormalize,
      do_resize: this.doResize,
      resample: this.resample,
      size: { height: this.size.height, width: this.size.width },
    };
    if (this.numClusters > 0) {
      const rows: number[][] = [];
      for (let i = 0; i < this.numClusters; i++)
        rows.push(Array.from(this.clusters.subarray(3 * i, 3 * i + 3)));
      all.clusters = rows;
    }
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(all).sort()) sorted[key] = all[key];
    return sorted;
  }

  /**
   * Runs the whole pipeline on one image and returns every intermediate: the resized RGB image,
   * the normalised pixels and the ids. Grey and RGBA inputs are first made RGB (grey copied to
   * R, G, B; alpha dropped), as Pillow's `convert('RGB')`.
   */
  preprocess(image: RawImage, source?: string): PreprocessResult {
    const rgb = toRGB(image, source);
    const resized = this.doResize ? resizeBilinear(rgb, this.size.width, this.size.height, source) : rgb;
    const pixels = this.doNormalize ? normalize(resized, source) : Float32Array.from(resized.data);
    const ids = this.doColorQuantize ? quantize(pixels, this.clusters) : new Int32Array(0);
    return { resized, pixels, ids };
  }

  /** The token ids (row-major, no SOS) of each image. Requires `doColorQuantize`. */
  encode(images: RawImage | readonly RawImage[]): Int32Array[] {
    if (!this.doColorQuantize) {
      throw new ProcessorConfigError('encode needs colour quantization, which this config turns off', {
        field: 'do_color_quantize',
        value: false,
        expected: 'true',
      });
    }
    const list = Array.isArray(images) ? (images as readonly RawImage[]) : [images as RawImage];
    return list.map((image, i) => this.preprocess(image, list.length > 1 ? `image ${i}` : undefined).ids);
  }

  /**
   * Turns ids back into an RGB image in the palette's colours. The size defaults to `size` when
   * the id count matches it, otherwise to a square; pass `width`/`height` for anything else.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): RawImage {
    if (this.numClusters === 0) {
      throw new ProcessorConfigError('decode needs clusters, and this config has none', {
        field: 'clusters',
        expected: 'a k×3 list',
      });
    }
    const n = ids.length;
    let { width, height } = options;
    if (width === undefined && height === undefined) {
      if (n === this.size.width * this.size.height) {
        ({ width, height } = this.size);
      } else {
        const side = Math.round(Math.sqrt(n));
        if (side * side !== n) {
          throw new ImageError(
            `cannot infer the image size from ${n} ids (not ${this.size.width}x${this.size.height}, not square); pass width and height`,
          );
        }
        width = side;
        height = side;
      }
    } else if (width === undefined) {
      width = n / (height as number);
    } else if (height === undefined) {
      height = n / width;
    }
    return decodeTokens(ids, this.clusters, width, height as number);
  }
}

function parseSize(value: unknown, where: { file?: string }): { height: number; width: number } {
  const expected = `{"height": H, "width": W} with integers in 1..${MAX_IMAGE_SIDE} (or an int, or [H, W])`;
  const dim = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new ProcessorConfigError('bad size', {
        ...where,
        field,
        value: v,
        expected: `a positive integer <= ${MAX_IMAGE_SIDE}`,
      });
    if (v > MAX_IMAGE_SIDE)
      throw new ProcessorConfigError('size too large', {
        ...where,
        field,
        value: v,
        expected: `at most ${MAX_IMAGE_SIDE} (ImageGPT uses 32 to 64): every image would be resized to it`,
      });
    return v;
  };
  if (value === undefined || value === null) return { ...DEFAULTS.size };
  if (typeof value === 'number') {
    const s = dim(value, 'size');
    return { height: s, width: s };
  }
  if (Array.isArray(value)) {
    if (value.length !== 2)
      throw new ProcessorConfigError('bad size', { ...where, field: 'size', value, expected });
    return { height: dim(value[0], 'size[0]'), width: dim(value[1], 'size[1]') };
  }
  if (typeof value === 'object') {
    const s = value as Record<string, unknown>;
    if ('height' in s && 'width' in s)
      return { height: dim(s.height, 'size.height'), width: dim(s.width, 'size.width') };
    throw new ProcessorConfigError('ImageGPT resizes to an exact height and width', {
      ...where,
      field: 'size',
      value,
      expected,
    });
  }
  throw new ProcessorConfigError('bad size', { ...where, field: 'size', value, expected });
}
