import type { FileSource } from '@imagegpt/core';
import { readJsonText } from '@imagegpt/core/io';
import { ImageGPTImageProcessor, type RawImage } from '@imagegpt/processor';
import {
  type CaseMeta,
  ConformanceCaseError,
  caseName,
  errText,
  outputTolerance,
  readCaseIo,
} from './case-files.js';
import { type ConformanceOutput, compareExactFloats, compareFloats, compareIntegers } from './compare.js';
import { type ConformanceReport, finishReport, unknownOutput } from './report.js';
import type { ConformanceOptions } from './run-conformance.js';

/**
 * Runs a processor case: preprocesses each sub-folder's images with its preprocessor_config.json
 * (its resample filter and switches; images decoded by the caller's decoder) and compares resized
 * values, pixels, ids and, without quantization, the channels-first pixel_values.
 */
export async function runProcessorCase(
  files: FileSource,
  meta: CaseMeta,
  options: ConformanceOptions,
): Promise<ConformanceReport> {
  const io = await readCaseIo(files);
  if (!Array.isArray(meta.processors) || meta.processors.length === 0) {
    throw new ConformanceCaseError(
      `${files.location}/meta.json: a processor case needs a non-empty processors[]`,
    );
  }
  const computed = new Map<string, ArrayLike<number>>();
  for (const entry of meta.processors) {
    if (typeof entry?.dir !== 'string') {
      throw new ConformanceCaseError(
        `${files.location}/meta.json: every processors[] entry needs a "dir" string`,
      );
    }
    const dir = entry.dir === '.' || entry.dir === '' ? '' : `${entry.dir.replace(/\/+$/, '')}/`;
    const prefix = dir ? `${entry.dir.replace(/\/+$/, '')}_` : '';
    const configPath = `${dir}preprocessor_config.json`;
    let processor: ImageGPTImageProcessor;
    try {
      processor = ImageGPTImageProcessor.parse(
        await readJsonText(files, configPath),
        `${files.location}/${configPath}`,
      );
    } catch (e) {
      throw new ConformanceCaseError(`${files.location}/${configPath}: ${errText(e)}`);
    }
    const resized: number[] = [];
    const pixels: number[] = [];
    const ids: number[] = [];
    const pixelValues: number[] = [];
    const images: unknown = entry.images;
    const fileOf = (i: unknown) => (typeof i === 'string' ? i : (i as { file?: unknown } | null)?.file);
    if (
      !Array.isArray(images) ||
      images.length === 0 ||
      !images.every((i) => typeof fileOf(i) === 'string')
    ) {
      throw new ConformanceCaseError(
        `${files.location}/meta.json: processors entry "${entry.dir}" needs a non-empty images[] of { file } or file names`,
      );
    }
    for (const image of images.map((i) => ({ file: fileOf(i) as string }))) {
      // Images live in the case folder; a sub-folder case may also hold its own copies.
      const path = (await files.exists(`${dir}${image.file}`)) ? `${dir}${image.file}` : image.file;
      let raw: RawImage;
      try {
        raw = await options.decodeImage(await files.read(path), `${files.location}/${path}`);
      } catch (e) {
        throw new ConformanceCaseError(`${files.location}/${path}: cannot read the image (${errText(e)})`);
      }
      // The folder's own resample filter and switches, as HF's processor applies them.
      const out = processor.preprocessImage(raw, { source: `${files.location}/${path}` });
      for (const v of out.resized.data) resized.push(v);
      for (const v of out.pixels) pixels.push(v);
      for (const v of out.inputIds ?? []) ids.push(v);
      for (const v of out.pixelValues ?? []) pixelValues.push(v);
    }
    computed.set(`${prefix}resized_uint8`, resized);
    computed.set(`${prefix}pixels`, Float32Array.from(pixels));
    // Quantizing gives ids; otherwise the channels-first pixels (HF 4.31 names them input_ids too).
    if (processor.doColorQuantize) computed.set(`${prefix}input_ids`, ids);
    else computed.set(`${prefix}pixel_values`, Float32Array.from(pixelValues));
  }
  const outputs: ConformanceOutput[] = [];
  for (const name of [...io.keys()].sort()) {
    const ref = io.get(name)!;
    const got = computed.get(name);
    let out: ConformanceOutput;
    if (!got) out = unknownOutput(name);
    else if (ref.int) out = compareIntegers(name, got, ref.int);
    else {
      const { atol, rtol } = outputTolerance(meta, name);
      out =
        atol === undefined
          ? compareExactFloats(name, got, ref.float!)
          : compareFloats(name, got, ref.float!, atol, rtol);
    }
    outputs.push(out);
    options.onOutput?.(out);
  }
  return finishReport({ case: caseName(files, meta), kind: 'processor', weights: null, outputs });
}
