import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileSink } from '@imagegpt/config';
import { goldenCase } from '@imagegpt/test-kit/golden';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageGPTFeatureExtractor, ImageGPTImageProcessor, MAX_IMAGE_SIDE } from './image-processor.js';
import { PILImageResampling } from './pil-image-resampling.js';
import { ProcessorConfigError } from './processor-config-error.js';
import type { RawImage } from './raw-image.js';
import { toRGB } from './to-rgb.js';

/** A processor case's meta.json, typed as far as these tests read it (image entries made uniform). */
interface ProcessorMeta {
  processors: {
    dir: string;
    processor: {
      clusters: number | null;
      size: { height: number; width: number };
      resample: number;
      do_resize: boolean;
      do_normalize: boolean;
      do_color_quantize: boolean;
    };
    images: { file: string }[];
  }[];
}

/** A reference tensor of io.safetensors: shape and data (BigInt64Array for I64, else Float32Array). */
interface RefTensor {
  shape: number[];
  data: BigInt64Array | Float32Array;
}

/**
 * A golden processor case through the test kit: its folder, meta.json (image-processor lists images
 * as objects, image-processor-resample as bare file names), io tensors and PNGs decoded by sharp
 * with their own channel count (1 for L, 4 for RGBA).
 */
function processorCase(name: 'image-processor' | 'image-processor-resample') {
  const golden = goldenCase(name);
  const raw = golden.meta as unknown as {
    processors: (Omit<ProcessorMeta['processors'][number], 'images'> & {
      images: (string | { file: string })[];
    })[];
  };
  const meta: ProcessorMeta = {
    processors: raw.processors.map((p) => ({
      ...p,
      images: p.images.map((i) => (typeof i === 'string' ? { file: i } : i)),
    })),
  };
  return {
    dir: golden.dir,
    meta,
    tensor(tensorName: string): RefTensor {
      const t = golden.io.get(tensorName);
      return {
        shape: [...t.shape],
        data: t.dtype === 'I64' ? golden.io.int64(tensorName) : golden.io.float32(tensorName),
      };
    },
    async loadPng(file: string): Promise<RawImage> {
      const { data, info } = await sharp(golden.path(file)).raw().toBuffer({ resolveWithObject: true });
      const channels = info.channels;
      if (channels !== 1 && channels !== 3 && channels !== 4)
        throw new Error(`${file}: sharp gave ${channels} channels`);
      return { width: info.width, height: info.height, channels, data: new Uint8Array(data) };
    },
  };
}

/** Float32 bit patterns, so float outputs are compared exactly, not within a tolerance. */
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
const ints = (a: BigInt64Array) => Array.from(a, Number);

/** A FileSink in memory that refuses to overwrite unless forced, as every sink must. */
function memorySink(): FileSink & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    location: 'memory',
    files,
    async write(path, data, { force } = {}) {
      if (files.has(path) && !force) throw new Error(`memory/${path} already exists`);
      files.set(path, data instanceof Uint8Array ? data : new Uint8Array(Buffer.concat([...data])));
    },
  };
}

const CASES = ['image-processor', 'image-processor-resample'] as const;

for (const caseName of CASES) {
  const golden = processorCase(caseName);
  const tensor = golden.tensor;

  describe(`ImageGPTImageProcessor against the golden ${caseName} case`, () => {
    for (const proc of golden.meta.processors) {
      const prefix = proc.dir === '.' ? '' : `${proc.dir}_`;
      const configFile = join(golden.dir, proc.dir, 'preprocessor_config.json');
      const text = readFileSync(configFile, 'utf8');
      const processor = ImageGPTImageProcessor.parse(text, configFile);
      const { height, width } = proc.processor.size;
      const hw = height * width;

      it(`${proc.dir}: reads resample ${proc.processor.resample}, its switches, ${proc.processor.clusters ?? 0} clusters and size ${width}x${height}`, () => {
        expect(processor.numClusters).toBe(proc.processor.clusters ?? 0);
        expect(processor.size).toEqual(proc.processor.size);
        expect(processor.resample).toBe(proc.processor.resample);
        expect([processor.doResize, processor.doNormalize, processor.doColorQuantize]).toEqual([
          proc.processor.do_resize,
          proc.processor.do_normalize,
          proc.processor.do_color_quantize,
        ]);
      });

      it(`${proc.dir}: savePretrained writes HF's preprocessor_config.json byte for byte`, async () => {
        const sink = memorySink();
        expect(await processor.savePretrained(sink)).toEqual(['preprocessor_config.json']);
        expect(new TextDecoder().decode(sink.files.get('preprocessor_config.json'))).toBe(text);
        expect(processor.toJSON()).toEqual(JSON.parse(text));
      });

      proc.images.forEach((img, row) => {
        it(`${proc.dir}: ${img.file} gives HF's resized bytes, pixels and ${proc.processor.do_color_quantize ? 'ids' : 'pixel values'} exactly`, async () => {
          const image = await golden.loadPng(img.file);
          const out = processor.preprocessImage(image, { source: img.file });
          const slice = (name: string, n: number) => {
            const t = tensor(`${prefix}${name}`);
            return t.data.subarray(row * n, (row + 1) * n) as never;
          };
          expect(Array.from(out.resized.data)).toEqual(ints(slice('resized_uint8', hw * 3)));
          expect(bits(out.pixels)).toEqual(bits(slice('pixels', hw * 3)));
          if (proc.processor.do_color_quantize) {
            expect(Array.from(out.inputIds!)).toEqual(ints(slice('input_ids', hw)));
            expect(out.pixelValues).toBeUndefined();
          } else {
            expect(bits(out.pixelValues!)).toEqual(bits(slice('pixel_values', hw * 3)));
            expect(out.inputIds).toBeUndefined();
          }
        });
      });

      it(`${proc.dir}: preprocess on the whole batch gives HF's stacked output`, async () => {
        const images = await Promise.all(proc.images.map((i) => golden.loadPng(i.file)));
        const out = processor.preprocess(images);
        expect(out.sizes).toEqual(images.map(() => ({ height, width })));
        if (proc.processor.do_color_quantize) {
          expect(out.inputIds!.flatMap((ids) => Array.from(ids))).toEqual(
            ints(tensor(`${prefix}input_ids`).data as BigInt64Array),
          );
          expect(out.pixelValues).toBeUndefined();
        } else {
          const stacked = new Float32Array(out.pixelValues!.flatMap((p) => Array.from(p)));
          expect(tensor(`${prefix}pixel_values`).shape).toEqual([images.length, 3, height, width]);
          expect(bits(stacked)).toEqual(bits(tensor(`${prefix}pixel_values`).data as Float32Array));
          expect(out.inputIds).toBeUndefined();
        }
      });
    }
  });
}

describe('per-call preprocess overrides', () => {
  const golden = processorCase('image-processor-resample');
  const read = (dir: string) =>
    ImageGPTImageProcessor.parse(readFileSync(join(golden.dir, dir, 'preprocessor_config.json'), 'utf8'));
  const images = () => Promise.all(golden.meta.processors[0]!.images.map((i) => golden.loadPng(i.file)));

  it('turn one processor into each of the golden sub-folders (resample, size, switches, clusters)', async () => {
    const base = read('no_quantize'); // 6x10, bilinear, no clusters, no quantization
    const batch = await images();
    for (const dir of ['nearest', 'lanczos', 'bicubic', 'box', 'hamming', 'no_normalize']) {
      const target = read(dir);
      const { inputIds } = base.preprocess(batch, {
        doResize: true,
        size: [target.size.height, target.size.width],
        resample: target.resample,
        doNormalize: target.doNormalize,
        doColorQuantize: true,
        clusters: target.clusters,
      });
      expect(
        inputIds!.flatMap((ids) => Array.from(ids)),
        dir,
      ).toEqual(ints(golden.tensor(`${dir}_input_ids`).data as BigInt64Array));
    }
  });

  it('doColorQuantize: false gives channels-first pixel values, normalised or not', async () => {
    const batch = await images();
    const noNormalize = read('no_normalize');
    const { pixelValues, inputIds } = noNormalize.preprocess(batch, { doColorQuantize: false });
    expect(inputIds).toBeUndefined();
    // HWC golden pixels (plain 0..255 here), transposed to CHW.
    const hwc = golden.tensor('no_normalize_pixels').data as Float32Array;
    pixelValues!.forEach((chw, n) => {
      const area = 64;
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < area; i++) expect(chw[c * area + i]).toBe(hwc[n * area * 3 + i * 3 + c]);
    });
    // The processor's own setting is untouched by an override.
    expect(noNormalize.preprocess(batch[0]!).inputIds).toHaveLength(1);
  });

  it('doResize: false keeps each image at its own size, so a batch may be ragged', async () => {
    const batch = await images();
    const processor = read('nearest');
    const out = processor.preprocess(batch, { doResize: false });
    expect(out.sizes).toEqual(batch.map((b) => ({ height: b.height, width: b.width })));
    expect(out.inputIds!.map((ids) => ids.length)).toEqual(batch.map((b) => b.width * b.height));
    const steps = processor.preprocessImage(batch[3]!, { doResize: false, doColorQuantize: false });
    expect(steps.resized).toEqual(toRGB(batch[3]!)); // the grey 9x9 input, made RGB, not resized
    expect(steps.pixelValues).toHaveLength(3 * 9 * 9);
    expect(
      processor
        .preprocess(batch, { doResize: false, doColorQuantize: false })
        .pixelValues!.map((p) => p.length),
    ).toEqual(batch.map((b) => 3 * b.width * b.height));
  });

  it('refuses bad overrides with a ProcessorConfigError naming the option', () => {
    const processor = read('nearest');
    const image: RawImage = { width: 2, height: 2, channels: 3, data: new Uint8Array(12) };
    const fault = (options: unknown) => {
      try {
        processor.preprocess(image, options as never);
      } catch (e) {
        expect(e).toBeInstanceOf(ProcessorConfigError);
        return e as ProcessorConfigError;
      }
      throw new Error('expected a ProcessorConfigError');
    };
    expect(fault({ doResize: 'yes' })).toMatchObject({ field: 'doResize', value: 'yes' });
    expect(fault({ resample: 6 })).toMatchObject({ field: 'resample', value: 6 });
    expect(fault({ resample: 'bicubic' })).toMatchObject({ field: 'resample' });
    expect(fault({ size: { height: 0, width: 4 } })).toMatchObject({ field: 'size.height', value: 0 });
    expect(fault({ size: MAX_IMAGE_SIDE + 1 })).toMatchObject({ field: 'size' });
    expect(fault({ clusters: [[0, 0]] })).toMatchObject({ field: 'clusters[0]' });
    expect(fault(null)).toMatchObject({ field: 'options' });
    const noClusters = read('no_quantize');
    expect(() => noClusters.preprocess(image, { doColorQuantize: true })).toThrow(/needs clusters/);
    expect(() => noClusters.encode(image)).toThrow(/do_color_quantize/);
  });
});

describe('ImageGPTImageProcessor config handling', () => {
  const golden = processorCase('image-processor');
  const text = readFileSync(join(golden.dir, 'preprocessor_config.json'), 'utf8');

  it('toJSON round-trips the golden preprocessor_config.json exactly', () => {
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(ImageGPTImageProcessor.parse(text).toJSON()).toEqual(json);
  });

  it('keeps unknown keys and accepts an int or [h, w] size', () => {
    const p = ImageGPTImageProcessor.fromJSON({ clusters: [[0, 0, 0]], size: 4, custom: { a: 1 } });
    expect(p.size).toEqual({ height: 4, width: 4 });
    expect(p.toJSON().custom).toEqual({ a: 1 });
    expect(ImageGPTImageProcessor.fromJSON({ clusters: [[0, 0, 0]], size: [3, 5] }).size).toEqual({
      height: 3,
      width: 5,
    });
  });

  it('takes HF defaults for missing keys', () => {
    const p = ImageGPTImageProcessor.fromJSON({ clusters: [0, 0, 0, 1, 1, 1] });
    expect(p.size).toEqual({ height: 256, width: 256 });
    expect([p.doResize, p.doNormalize, p.doColorQuantize, p.resample, p.numClusters]).toEqual([
      true,
      true,
      true,
      2,
      2,
    ]);
  });

  it('accepts every Pillow filter id and writes clusters as Python floats', () => {
    for (const resample of Object.values(PILImageResampling)) {
      expect(ImageGPTImageProcessor.fromJSON({ clusters: [[0, 0, 0]], resample }).resample).toBe(resample);
    }
    // A parsed -1.0 is the number -1; HF's file (a float array's tolist()) says -1.0.
    const p = ImageGPTImageProcessor.fromJSON({ clusters: [[-1, 0, 0.5]], size: 2, resample: 3 });
    expect(p.toJSONString()).toBe(
      '{\n  "clusters": [\n    [\n      -1.0,\n      0.0,\n      0.5\n    ]\n  ],\n' +
        '  "do_color_quantize": true,\n  "do_normalize": true,\n  "do_resize": true,\n' +
        '  "image_processor_type": "ImageGPTImageProcessor",\n  "resample": 3,\n' +
        '  "size": {\n    "height": 2,\n    "width": 2\n  }\n}\n',
    );
  });

  it('savePretrained never overwrites silently: an existing file is refused unless forced', async () => {
    const p = ImageGPTImageProcessor.parse(text);
    const sink = memorySink();
    await p.savePretrained(sink);
    const other = ImageGPTImageProcessor.fromJSON({ clusters: [[0, 0, 0]], size: 2 });
    await expect(other.savePretrained(sink)).rejects.toThrow(/already exists/);
    expect(new TextDecoder().decode(sink.files.get('preprocessor_config.json'))).toBe(text);
    await other.savePretrained(sink, { force: true });
    expect(
      ImageGPTImageProcessor.parse(new TextDecoder().decode(sink.files.get('preprocessor_config.json'))).size,
    ).toEqual({
      height: 2,
      width: 2,
    });
  });

  it('keeps the deprecated ImageGPTFeatureExtractor name as the same class', () => {
    expect(ImageGPTFeatureExtractor).toBe(ImageGPTImageProcessor);
    const old: ImageGPTFeatureExtractor = ImageGPTFeatureExtractor.parse(text);
    expect(old).toBeInstanceOf(ImageGPTImageProcessor);
    // An old file's feature_extractor_type is kept; the type written is the processor's, as HF writes it.
    const legacy = ImageGPTFeatureExtractor.fromJSON({
      ...JSON.parse(text),
      feature_extractor_type: 'ImageGPTFeatureExtractor',
    }).toJSON();
    expect(legacy.feature_extractor_type).toBe('ImageGPTFeatureExtractor');
    expect(legacy.image_processor_type).toBe('ImageGPTImageProcessor');
  });

  it('names the field and value of a bad config', () => {
    const bad = (json: unknown) => {
      try {
        ImageGPTImageProcessor.fromJSON(json, 'p.json');
      } catch (e) {
        expect(e).toBeInstanceOf(ProcessorConfigError);
        return e as ProcessorConfigError;
      }
      throw new Error('expected a ProcessorConfigError');
    };
    expect(bad({ clusters: [[0, 0, 0]], resample: 6 })).toMatchObject({
      field: 'resample',
      value: 6,
      file: 'p.json',
    });
    expect(bad({ clusters: [[0, 0, 0]], resample: 2.5 })).toMatchObject({ field: 'resample' });
    expect(bad({ clusters: [[0, 0, 0]], resample: 'bilinear' })).toMatchObject({ field: 'resample' });
    expect(
      bad({
        clusters: [
          [0, 0, 0],
          [0, 1],
        ],
      }),
    ).toMatchObject({ field: 'clusters[1]' });
    expect(
      bad({
        clusters: [
          [0, 0, 0],
          [0, 1, 'x'],
        ],
      }),
    ).toMatchObject({ field: 'clusters[1][2]', value: 'x' });
    expect(bad({ clusters: [0, 0, 0, 1] })).toMatchObject({ field: 'clusters' });
    expect(bad({ clusters: [[0, 0, 0]], size: { shortest_edge: 8 } })).toMatchObject({ field: 'size' });
    expect(bad({ clusters: [[0, 0, 0]], size: { height: 0, width: 4 } })).toMatchObject({
      field: 'size.height',
      value: 0,
    });
    // The size is capped so a typo cannot make every resize allocate gigabytes.
    expect(ImageGPTImageProcessor.fromJSON({ clusters: [[0, 0, 0]], size: MAX_IMAGE_SIDE }).size.width).toBe(
      MAX_IMAGE_SIDE,
    );
    expect(bad({ clusters: [[0, 0, 0]], size: { height: 32, width: MAX_IMAGE_SIDE + 1 } })).toMatchObject({
      field: 'size.width',
      value: MAX_IMAGE_SIDE + 1,
    });
    expect(bad({ clusters: [[0, 0, 0]], size: [100_000, 32] })).toMatchObject({ field: 'size[0]' });
    expect(bad({ clusters: [[0, 0, 0]], size: 100_000 }).message).toContain(`at most ${MAX_IMAGE_SIDE}`);
    expect(bad({ clusters: [[0, 0, 0]], do_resize: 'yes' })).toMatchObject({ field: 'do_resize' });
    expect(bad({ size: 8 })).toMatchObject({ field: 'clusters' });
    expect(bad({ clusters: [[0, 0, 0]], resample: 6 }).message).toContain('"resample" is 6');
    // One sentence per fault: the message, then the field and its value, then what was expected.
    expect(
      bad({
        clusters: [
          [0, 0, 0],
          [0, 0],
        ],
      }).message,
    ).toBe(
      'image processor config in p.json: cluster 1 is not a list of 3 numbers: "clusters[1]" is [0,0]; expected [r, g, b] with finite numbers',
    );
    expect(() => ImageGPTImageProcessor.parse('{', 'p.json')).toThrow(/p\.json.*not valid JSON/);
  });

  it('decode paints each id with its cluster colour and rejects out-of-range ids', () => {
    const p = ImageGPTImageProcessor.fromJSON({
      clusters: [
        [-1, -1, -1],
        [1, 0, -0.5],
      ],
      size: { height: 1, width: 2 },
    });
    expect(Array.from(p.decode([1, 0]).data)).toEqual([255, 128, 64, 0, 0, 0]);
    expect(() => p.decode([0, 2])).toThrow(/token 1 is 2.*SOS/);
    expect(p.decode([0, 0, 0, 0]).width).toBe(2);
    expect(p.decode([0, 0, 0], { width: 3 }).height).toBe(1);
  });
});
