import type { FileSink, FileSinkWriteOptions } from '@imagegpt/config';
import { readJsonMembers, toHfJsonString } from '@imagegpt/config/json';
import { assertFiniteClusters, parseClusters, readClustersJson } from './clusters.js';
import { decodeTokens } from './decode-tokens.js';
import { ImageError } from './image-error.js';
import { normalize } from './normalize.js';
import { isPILResample, PILImageResampling, type PILResample } from './pil-image-resampling.js';
import { ProcessorConfigError } from './processor-config-error.js';
import { quantize } from './quantize.js';
import type { RawImage } from './raw-image.js';
import { resize } from './resize.js';
import { toRGB } from './to-rgb.js';

/**
 * The largest `size.height` / `size.width` accepted. ImageGPT checkpoints use 32, 48 or 64; a
 * 4096×4096 RGB target is 48 MiB, while a typo like 100000 would ask for tens of gigabytes.
 */
export const MAX_IMAGE_SIDE = 4096;

/** The file HF reads and writes an image processor as. */
export const PREPROCESSOR_CONFIG_FILE = 'preprocessor_config.json';

/** HF's defaults when a key is absent from `preprocessor_config.json`. */
const DEFAULTS = {
  size: { height: 256, width: 256 },
  resample: PILImageResampling.BILINEAR as PILResample,
  doResize: true,
  doNormalize: true,
  doColorQuantize: true,
};
/** The most JSON values a setting other than `clusters` may hold (`size` has three). */
const MAX_SETTING_VALUES = 16;

const KNOWN_KEYS = new Set([
  'clusters',
  'do_resize',
  'size',
  'resample',
  'do_normalize',
  'do_color_quantize',
  'image_processor_type',
]);

/** A target size: `{ height, width }`, one side for a square, or `[height, width]` (as HF's `get_size_dict` takes). */
export type SizeInput =
  | { readonly height: number; readonly width: number }
  | number
  | readonly [number, number];

/**
 * Per-call overrides for {@link ImageGPTImageProcessor.preprocess}: HF's `preprocess` arguments in
 * camelCase. Each one left out takes the processor's own value (from `preprocessor_config.json`).
 */
export interface PreprocessOptions {
  /** Resize to {@link size}; when false every image keeps its own size. */
  readonly doResize?: boolean;
  /** The size to resize to. */
  readonly size?: SizeInput;
  /** Pillow's filter for the resize ({@link PILImageResampling}). */
  readonly resample?: PILResample;
  /** Map 0..255 to [-1, 1]; when false the pixels stay 0..255. */
  readonly doNormalize?: boolean;
  /** Map each pixel to its nearest colour cluster, giving `inputIds`; when false the result is `pixelValues`. */
  readonly doColorQuantize?: boolean;
  /** The palette to quantize with, k×3 (`[[r, g, b], ...]` or flat); default the processor's. */
  readonly clusters?: readonly (readonly number[])[] | readonly number[] | Float64Array | Float32Array;
}

/** Options for {@link ImageGPTImageProcessor.preprocessImage}: the overrides, and the image's name for messages. */
export interface PreprocessImageOptions extends PreprocessOptions {
  /** What to call the image in errors (a file name, `inputs[3]`). */
  readonly source?: string;
}

/** One image through the pipeline, with every step's result ({@link ImageGPTImageProcessor.preprocessImage}). */
export interface PreprocessedImage {
  /** The RGB image after the resize (the input, as RGB, when resizing is off). */
  readonly resized: RawImage;
  /** `H*W*3` floats, channels last (HWC): normalised to [-1, 1], or the plain 0..255 values when `doNormalize` is off. */
  readonly pixels: Float32Array;
  /** When quantizing: `H*W` colour-cluster ids, row-major, no SOS (HF's `input_ids` row). */
  readonly inputIds?: Int32Array;
  /** When not quantizing: the pixels channels first, `3*H*W` floats in `[3, H, W]` order (HF's `pixel_values` entry). */
  readonly pixelValues?: Float32Array;
}

/**
 * What {@link ImageGPTImageProcessor.preprocess} returns: HF's `BatchFeature` with one entry per
 * image. Exactly one of `inputIds` and `pixelValues` is set, by `doColorQuantize`.
 *
 * Entries are kept per image rather than stacked into one `[N, ...]` array because with
 * `doResize: false` each image keeps its own size, so a batch may be ragged; `sizes[i]` says each
 * entry's height and width. When all sizes are equal, concatenating the entries gives HF's
 * stacked `[N, H*W]` ids or `[N, 3, H, W]` pixel values.
 */
export interface PreprocessOutput {
  /** HF's `input_ids`: per image `H*W` cluster ids, row-major, no SOS (prepend `vocab_size - 1` for a causal model). */
  readonly inputIds?: Int32Array[];
  /**
   * Per image `3*H*W` floats, channels first (`[3, H, W]`). HF 4.31 returns these under the key
   * `input_ids`; later versions (and this library) call them `pixel_values`.
   */
  readonly pixelValues?: Float32Array[];
  /** Each image's height and width after preprocessing. */
  readonly sizes: { readonly height: number; readonly width: number }[];
}

/** Options for {@link ImageGPTImageProcessor.decode}. */
export interface DecodeOptions {
  readonly width?: number;
  readonly height?: number;
}

/** Options for {@link ImageGPTImageProcessor.savePretrained}. */
export type SavePretrainedOptions = FileSinkWriteOptions;

/** The settings of one preprocess call, after the overrides. */
interface Settings {
  readonly doResize: boolean;
  readonly size: { readonly height: number; readonly width: number };
  readonly resample: PILResample;
  readonly doNormalize: boolean;
  readonly doColorQuantize: boolean;
  readonly clusters: Float64Array | Float32Array;
}

/**
 * HF's `ImageGPTImageProcessor`: convert to RGB, resize with a Pillow-exact filter (BILINEAR in
 * every ImageGPT checkpoint), normalise to [-1, 1], and map every pixel to its nearest colour
 * cluster, giving `H*W` token ids (no SOS). Each step can be switched off in
 * `preprocessor_config.json` or per call. Read one with {@link ImageGPTImageProcessor.parse},
 * write one with {@link ImageGPTImageProcessor.savePretrained}.
 *
 * @example
 * const processor = ImageGPTImageProcessor.parse(text, 'preprocessor_config.json');
 * const [ids] = processor.encode(image);            // Int32Array of H*W ids
 * const back = processor.decode(ids);               // RGB RawImage in the palette's colours
 * const { pixelValues } = processor.preprocess([image], { doColorQuantize: false }); // [3, H, W] floats
 */
export class ImageGPTImageProcessor {
  /** The palette, k×3 row-major, in normalised [-1, 1] space (empty when the config has none). */
  readonly clusters: Float64Array;
  /** k, the number of colour clusters (the model's vocabulary without SOS). */
  readonly numClusters: number;
  /** The target size of the resize. */
  readonly size: { readonly height: number; readonly width: number };
  /** Whether images are resized to {@link size}. */
  readonly doResize: boolean;
  /** Whether pixels are mapped to [-1, 1]. */
  readonly doNormalize: boolean;
  /** Whether pixels are mapped to cluster ids. */
  readonly doColorQuantize: boolean;
  /** Pillow's filter id for the resize ({@link PILImageResampling}); 2 (BILINEAR) unless the config says otherwise. */
  readonly resample: PILResample;
  /**
   * Keys this class does not interpret, kept so {@link toJSON} round-trips the file; each gives its
   * value on demand (from the file's text, parsed only then).
   */
  private readonly extra: readonly (readonly [string, () => unknown])[];

  private constructor(fields: {
    clusters: Float64Array;
    size: { height: number; width: number };
    resample: PILResample;
    doResize: boolean;
    doNormalize: boolean;
    doColorQuantize: boolean;
    extra: readonly (readonly [string, () => unknown])[];
  }) {
    this.clusters = fields.clusters;
    this.numClusters = fields.clusters.length / 3;
    this.size = Object.freeze({ ...fields.size });
    this.resample = fields.resample;
    this.doResize = fields.doResize;
    this.doNormalize = fields.doNormalize;
    this.doColorQuantize = fields.doColorQuantize;
    this.extra = Object.freeze([...fields.extra]);
  }

  /**
   * Builds a processor from a parsed `preprocessor_config.json`. Missing keys take HF's defaults
   * (256×256, BILINEAR, all steps on). `resample` is any of Pillow's filter ids 0 to 5. `size` may
   * be `{height, width}`, an int (square) or `[height, width]`; `{shortest_edge}` is refused
   * because ImageGPT resizes to an exact size. Unknown keys are kept for {@link toJSON}. Throws a
   * {@link ProcessorConfigError} naming the field otherwise.
   */
  static fromJSON(json: unknown, source?: string): ImageGPTImageProcessor {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new ProcessorConfigError('not a JSON object', {
        ...(source === undefined ? {} : { file: source }),
        value: json,
        expected: 'an object like HF preprocessor_config.json',
      });
    }
    const obj = json as Record<string, unknown>;
    const extra = Object.entries(obj)
      .filter(([key]) => !KNOWN_KEYS.has(key))
      .map(([key, value]): [string, () => unknown] => [key, () => value]);
    return ImageGPTImageProcessor.#build(obj, source, extra);
  }

  /** Builds a processor from its known keys (`clusters` parsed or still JSON) and its unknown ones. */
  static #build(
    obj: Readonly<Record<string, unknown>>,
    source: string | undefined,
    extra: readonly (readonly [string, () => unknown])[],
    parsedClusters?: Float64Array | null,
  ): ImageGPTImageProcessor {
    const where = source === undefined ? {} : { file: source };
    const doResize = readFlag(obj.do_resize, 'do_resize', where) ?? DEFAULTS.doResize;
    const doNormalize = readFlag(obj.do_normalize, 'do_normalize', where) ?? DEFAULTS.doNormalize;
    const doColorQuantize =
      readFlag(obj.do_color_quantize, 'do_color_quantize', where) ?? DEFAULTS.doColorQuantize;
    const resample = readResample(obj.resample, 'resample', where) ?? DEFAULTS.resample;
    const size =
      obj.size === undefined || obj.size === null ? { ...DEFAULTS.size } : parseSize(obj.size, 'size', where);

    let clusters: Float64Array;
    if (
      parsedClusters === undefined
        ? obj.clusters === undefined || obj.clusters === null
        : parsedClusters === null
    ) {
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
      clusters = parsedClusters ?? parseClusters(obj.clusters, source);
    }
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

  /**
   * Parses the text of a `preprocessor_config.json`; see {@link fromJSON}. One linear pass
   * whatever the file holds: `clusters` is read straight into the palette, the other known keys
   * are parsed after a check on their size, and unknown keys stay text until {@link toJSON}.
   */
  static parse(text: string, source?: string): ImageGPTImageProcessor {
    const where = source === undefined ? {} : { file: source };
    const members = readJsonMembers(text.replace(/^\uFEFF/, ''), {
      fail: (message, offset, key) =>
        new ProcessorConfigError(`not valid JSON (${message} at character ${offset})`, {
          ...where,
          ...(key === undefined ? {} : { field: key }),
        }),
    });
    const known: Record<string, unknown> = {};
    const extra: [string, () => unknown][] = [];
    let clusters: Float64Array | null | undefined;
    for (const [key, { text: json, values }] of members) {
      if (key === 'clusters') {
        clusters = readClustersJson(json, source);
        // Known, so that a null palette is reported as null, not as missing.
        known.clusters = clusters === null ? null : '(read)';
      } else if (!KNOWN_KEYS.has(key)) {
        extra.push([key, () => JSON.parse(json)]);
      } else if (values > MAX_SETTING_VALUES) {
        throw new ProcessorConfigError(`"${key}" holds ${values} JSON values`, {
          ...where,
          field: key,
          expected: `a setting of at most ${MAX_SETTING_VALUES} values`,
        });
      } else {
        // Defined, not assigned, so that nothing in the file can reach a prototype.
        Object.defineProperty(known, key, { value: JSON.parse(json), enumerable: true });
      }
    }
    return ImageGPTImageProcessor.#build(known, source, extra, clusters);
  }

  /**
   * The config as HF's `to_dict` gives it: every setting, `clusters` as a k×3 list (`null` when
   * there are none), `image_processor_type`, and the unknown keys the file had. Keys sorted.
   */
  toJSON(): Record<string, unknown> {
    const rows: number[][] = [];
    for (let i = 0; i < this.numClusters; i++)
      rows.push(Array.from(this.clusters.subarray(3 * i, 3 * i + 3)));
    const all: Record<string, unknown> = {
      // fromEntries, so that an unknown "__proto__" key stays an ordinary key.
      ...Object.fromEntries(this.extra.map(([key, value]) => [key, value()])),
      clusters: this.numClusters > 0 ? rows : null,
      do_color_quantize: this.doColorQuantize,
      do_normalize: this.doNormalize,
      do_resize: this.doResize,
      // HF's to_dict writes the class's own name, whatever the file said.
      image_processor_type: 'ImageGPTImageProcessor',
      resample: this.resample,
      size: { height: this.size.height, width: this.size.width },
    };
    // fromEntries, not assignment, so that a "__proto__" key stays an ordinary key.
    return Object.fromEntries(
      Object.keys(all)
        .sort()
        .map((key) => [key, all[key]]),
    );
  }

  /**
   * The text HF's `save_pretrained` writes as `preprocessor_config.json`, byte for byte: sorted
   * keys, 2-space indent, Python's number formatting (clusters as floats, `-1.0` not `-1`), a
   * final newline.
   */
  toJSONString(): string {
    return toHfJsonString(this.toJSON(), { isFloat: (path) => path[0] === 'clusters' });
  }

  /**
   * Writes `preprocessor_config.json` (see {@link toJSONString}) into `sink`, as HF's
   * `save_pretrained(dir)` does. The sink writes atomically and, unless `force` is set, refuses to
   * replace an existing file. Returns the paths written. In Node, `new NodeFileSink(dir)` from
   * `@imagegpt/node` is a folder on disk.
   *
   * @example
   * await processor.savePretrained(new NodeFileSink('./my-model')); // ./my-model/preprocessor_config.json
   */
  async savePretrained(sink: FileSink, options: SavePretrainedOptions = {}): Promise<string[]> {
    const bytes = new TextEncoder().encode(this.toJSONString());
    await sink.write(PREPROCESSOR_CONFIG_FILE, bytes, options);
    return [PREPROCESSOR_CONFIG_FILE];
  }

  /**
   * Runs the pipeline on one image or a list, as HF's `processor(images, ...)` does, with per-call
   * overrides of any setting. Grey and RGBA inputs are first made RGB (grey copied to R, G and B;
   * alpha dropped), as Pillow's `convert('RGB')`. Returns `inputIds` when quantizing, otherwise
   * `pixelValues` (channels first); see {@link PreprocessOutput} for the shapes.
   *
   * @example
   * const { inputIds } = processor.preprocess([a, b]);                       // ids, one Int32Array per image
   * const { pixelValues } = processor.preprocess(a, { doColorQuantize: false, resample: PILImageResampling.BICUBIC });
   */
  preprocess(images: RawImage | readonly RawImage[], options: PreprocessOptions = {}): PreprocessOutput {
    const list = Array.isArray(images) ? (images as readonly RawImage[]) : [images as RawImage];
    const settings = this.settings(options);
    const results = list.map((image, i) =>
      runPipeline(image, settings, list.length > 1 ? `images[${i}]` : undefined),
    );
    const sizes = results.map((r) => ({ height: r.resized.height, width: r.resized.width }));
    return settings.doColorQuantize
      ? { inputIds: results.map((r) => r.inputIds as Int32Array), sizes }
      : { pixelValues: results.map((r) => r.pixelValues as Float32Array), sizes };
  }

  /**
   * One image through the pipeline, returning every step's result: the resized RGB image, the
   * pixels before quantization (HWC), and the ids or the channels-first pixel values. Takes the
   * same overrides as {@link preprocess}.
   */
  preprocessImage(image: RawImage, options: PreprocessImageOptions = {}): PreprocessedImage {
    return runPipeline(image, this.settings(options), options.source);
  }

  /** The token ids (row-major, no SOS) of each image. Requires colour quantization. */
  encode(images: RawImage | readonly RawImage[]): Int32Array[] {
    if (!this.doColorQuantize) {
      throw new ProcessorConfigError('encode needs colour quantization, which this config turns off', {
        field: 'do_color_quantize',
        value: false,
        expected: 'true',
      });
    }
    return this.preprocess(images).inputIds as Int32Array[];
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

  /** This processor's settings with a call's overrides applied and checked. */
  private settings(options: PreprocessOptions): Settings {
    if (options === null || typeof options !== 'object') {
      throw new ProcessorConfigError('preprocess options must be an object', {
        field: 'options',
        value: options,
        expected: '{ doResize?, size?, resample?, doNormalize?, doColorQuantize?, clusters? }',
      });
    }
    const where = {};
    const doColorQuantize =
      readFlag(options.doColorQuantize, 'doColorQuantize', where) ?? this.doColorQuantize;
    let clusters: Float64Array | Float32Array = this.clusters;
    if (options.clusters !== undefined) {
      clusters =
        options.clusters instanceof Float64Array || options.clusters instanceof Float32Array
          ? options.clusters
          : parseClusters(options.clusters, undefined, 'clusters');
      assertFiniteClusters(clusters, undefined, 'clusters');
    }
    if (doColorQuantize && clusters.length === 0) {
      throw new ProcessorConfigError('colour quantization needs clusters, and this processor has none', {
        field: 'clusters',
        expected: 'a k×3 palette in the config or the call, or doColorQuantize: false',
      });
    }
    return {
      doResize: readFlag(options.doResize, 'doResize', where) ?? this.doResize,
      size: options.size === undefined ? this.size : parseSize(options.size, 'size', where),
      resample: readResample(options.resample, 'resample', where) ?? this.resample,
      doNormalize: readFlag(options.doNormalize, 'doNormalize', where) ?? this.doNormalize,
      doColorQuantize,
      clusters,
    };
  }
}

/**
 * The deprecated name of {@link ImageGPTImageProcessor}, kept as transformers keeps
 * `ImageGPTFeatureExtractor`: the same class under its old name.
 *
 * @deprecated Use {@link ImageGPTImageProcessor}; this alias will be removed with transformers' own.
 */
export const ImageGPTFeatureExtractor = ImageGPTImageProcessor;
/** @deprecated Use {@link ImageGPTImageProcessor}. */
export type ImageGPTFeatureExtractor = ImageGPTImageProcessor;

/** The pipeline for one image: RGB, resize, normalise, then quantize or lay out channels first. */
function runPipeline(image: RawImage, s: Settings, source: string | undefined): PreprocessedImage {
  const rgb = toRGB(image, source);
  const resized = s.doResize ? resize(rgb, s.size.width, s.size.height, s.resample, source) : rgb;
  // Without normalisation HF keeps the uint8 values, and quantizes those against the palette as they are.
  const pixels = s.doNormalize ? normalize(resized, source) : Float32Array.from(resized.data);
  if (s.doColorQuantize) return { resized, pixels, inputIds: quantize(pixels, s.clusters) };
  return { resized, pixels, pixelValues: channelsFirst(pixels, resized.width * resized.height) };
}

/** HWC RGB floats to CHW: `[R plane, G plane, B plane]`. */
function channelsFirst(hwc: Float32Array, area: number): Float32Array {
  const chw = new Float32Array(hwc.length);
  for (let i = 0; i < area; i++) {
    chw[i] = hwc[3 * i] as number;
    chw[area + i] = hwc[3 * i + 1] as number;
    chw[2 * area + i] = hwc[3 * i + 2] as number;
  }
  return chw;
}

function readFlag(value: unknown, field: string, where: { file?: string }): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new ProcessorConfigError('wrong type', { ...where, field, value, expected: 'true or false' });
  }
  return value;
}

function readResample(value: unknown, field: string, where: { file?: string }): PILResample | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPILResample(value)) {
    throw new ProcessorConfigError('unsupported resample filter', {
      ...where,
      field,
      value,
      expected: "one of Pillow's filter ids: 0 NEAREST, 1 LANCZOS, 2 BILINEAR, 3 BICUBIC, 4 BOX, 5 HAMMING",
    });
  }
  return value;
}

function parseSize(
  value: unknown,
  field: string,
  where: { file?: string },
): { height: number; width: number } {
  const expected = `{"height": H, "width": W} with integers in 1..${MAX_IMAGE_SIDE} (or an int, or [H, W])`;
  const dim = (v: unknown, name: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new ProcessorConfigError('bad size', {
        ...where,
        field: name,
        value: v,
        expected: `a positive integer <= ${MAX_IMAGE_SIDE}`,
      });
    if (v > MAX_IMAGE_SIDE)
      throw new ProcessorConfigError('size too large', {
        ...where,
        field: name,
        value: v,
        expected: `at most ${MAX_IMAGE_SIDE} (ImageGPT uses 32 to 64): every image would be resized to it`,
      });
    return v;
  };
  if (typeof value === 'number') {
    const s = dim(value, field);
    return { height: s, width: s };
  }
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new ProcessorConfigError('bad size', { ...where, field, value, expected });
    return { height: dim(value[0], `${field}[0]`), width: dim(value[1], `${field}[1]`) };
  }
  if (value !== null && typeof value === 'object') {
    const s = value as Record<string, unknown>;
    if ('height' in s && 'width' in s)
      return { height: dim(s.height, `${field}.height`), width: dim(s.width, `${field}.width`) };
    throw new ProcessorConfigError('ImageGPT resizes to an exact height and width', {
      ...where,
      field,
      value,
      expected,
    });
  }
  throw new ProcessorConfigError('bad size', { ...where, field, value, expected });
}
