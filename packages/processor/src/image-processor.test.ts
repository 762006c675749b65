import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenCase } from '@imagegpt/test-kit/golden';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageGPTImageProcessor, MAX_IMAGE_SIDE } from './image-processor.js';
import { ProcessorConfigError } from './processor-config-error.js';
import type { RawImage } from './raw-image.js';

/** The golden case's meta.json, typed as far as these tests read it. */
interface ProcessorMeta {
  processors: {
    dir: string;
    processor: { clusters: number; size: { height: number; width: number } };
    images: { file: string; size_wh: [number, number]; mode: string }[];
  }[];
}

const golden = goldenCase('image-processor');
const dir = golden.dir;
const meta = golden.meta as unknown as ProcessorMeta;

/** Decodes a golden PNG with sharp, keeping its own channel count (1 for L, 4 for RGBA). */
async function loadPng(file: string): Promise<RawImage> {
  const { data, info } = await sharp(golden.path(file)).raw().toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`${file}: sharp gave ${channels} channels`);
  return { width: info.width, height: info.height, channels, data: new Uint8Array(data) };
}

describe('ImageGPTImageProcessor against the golden image-processor case', () => {
  for (const proc of meta.processors) {
    const prefix = proc.dir === '.' ? '' : `${proc.dir}_`;
    const configFile = join(dir, proc.dir, 'preprocessor_config.json');
    const processor = ImageGPTImageProcessor.parse(readFileSync(configFile, 'utf8'), configFile);

    it(`${proc.dir}: reads ${proc.processor.clusters} clusters and size ${proc.processor.size.width}x${proc.processor.size.height}`, () => {
      expect(processor.numClusters).toBe(proc.processor.clusters);
      expect(processor.size).toEqual(proc.processor.size);
    });

    proc.images.forEach((img, row) => {
      it(`${proc.dir}: ${img.file} (${img.mode}) gives HF's resized bytes, pixels and ids exactly`, async () => {
        const image = await loadPng(img.file);
        expect([image.width, image.height]).toEqual(img.size_wh);
        const { resized, pixels, ids } = processor.preprocess(image, img.file);
        const hw = proc.processor.size.height * proc.processor.size.width;

        const goldenResized = golden.io.int64(`${prefix}resized_uint8`);
        const expectedBytes = Array.from(goldenResized.subarray(row * hw * 3, (row + 1) * hw * 3), Number);
        expect(Array.from(resized.data)).toEqual(expectedBytes);

        const goldenPixels = golden.f32(`${prefix}pixels`);
        const expectedPixels = goldenPixels.subarray(row * hw * 3, (row + 1) * hw * 3);
        // Bit-exact: compare the float32 bit patterns, not values within a tolerance.
        expect(Array.from(new Uint32Array(pixels.buffer))).toEqual(
          Array.from(new Uint32Array(expectedPixels.slice().buffer)),
        );

        const goldenIds = golden.io.int64(`${prefix}input_ids`);
        expect(Array.from(ids)).toEqual(Array.from(goldenIds.subarray(row * hw, (row + 1) * hw), Number));
        expect(processor.encode(image)[0]).toEqual(ids);
      });
    });
  }
});

describe('ImageGPTImageProcessor config handling', () => {
  const text = readFileSync(join(dir, 'preprocessor_config.json'), 'utf8');

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
    expect(bad({ clusters: [[0, 0, 0]], resample: 3 })).toMatchObject({
      field: 'resample',
      value: 3,
      file: 'p.json',
    });
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
    expect(bad({ clusters: [[0, 0, 0]], resample: 3 }).message).toContain('"resample" is 3');
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
