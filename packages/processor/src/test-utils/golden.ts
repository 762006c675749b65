import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RawImage } from '../raw-image.js';

/** /work/shared/golden/image-processor, found from this file: packages/processor/src/test-utils -> repo root -> ../shared. */
export const GOLDEN_PROCESSOR_DIR = fileURLToPath(
  new URL('../../../../../shared/golden/image-processor', import.meta.url),
);

/** Fails loudly (never skips) when the shared golden data is missing: CI has it. */
export function requireGoldenDir(): string {
  if (!existsSync(join(GOLDEN_PROCESSOR_DIR, 'meta.json'))) {
    throw new Error(
      `golden data not found at ${GOLDEN_PROCESSOR_DIR}; the processor tests need /work/shared/golden`,
    );
  }
  return GOLDEN_PROCESSOR_DIR;
}

/** The golden case's meta.json, typed as far as the tests read it. */
export interface ProcessorMeta {
  processors: {
    dir: string;
    processor: { clusters: number; size: { height: number; width: number } };
    images: { file: string; size_wh: [number, number]; mode: string }[];
  }[];
}

export function readMeta(): ProcessorMeta {
  return JSON.parse(readFileSync(join(requireGoldenDir(), 'meta.json'), 'utf8')) as ProcessorMeta;
}

/** Decodes a golden PNG with sharp, keeping its own channel count (1 for L, 4 for RGBA). */
export async function loadPng(file: string): Promise<RawImage> {
  const { data, info } = await sharp(join(requireGoldenDir(), file))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const channels = info.channels;
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`${file}: sharp gave ${channels} channels`);
  return { width: info.width, height: info.height, channels, data: new Uint8Array(data) };
}
