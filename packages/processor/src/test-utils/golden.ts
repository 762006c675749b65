import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RawImage } from '../raw-image.js';

/** /work/shared/golden, found from this file: packages/processor/src/test-utils -> repo root -> ../shared. */
const GOLDEN_DIR = fileURLToPath(new URL('../../../../../shared/golden/', import.meta.url));

/** The processor cases of the golden set these tests read. */
export type ProcessorCaseName = 'image-processor' | 'image-processor-resample';

/** A processor case's meta.json, typed as far as the tests read it (image entries made uniform). */
export interface ProcessorMeta {
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

/** A golden processor case: its folder, its meta.json, and its PNGs decoded. */
export interface ProcessorCase {
  readonly dir: string;
  readonly meta: ProcessorMeta;
  /** Decodes one of the case's PNGs with sharp, keeping its own channel count (1 for L, 4 for RGBA). */
  loadPng(file: string): Promise<RawImage>;
}

/** Opens a golden processor case; fails loudly (never skips) when the shared data is missing, as CI has it. */
export function processorCase(name: ProcessorCaseName = 'image-processor'): ProcessorCase {
  const dir = join(GOLDEN_DIR, name);
  if (!existsSync(join(dir, 'meta.json'))) {
    throw new Error(`golden data not found at ${dir}; the processor tests need /work/shared/golden`);
  }
  const raw = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
    processors: (Omit<ProcessorMeta['processors'][number], 'images'> & {
      images: (string | { file: string })[];
    })[];
  };
  // image-processor lists images as objects, image-processor-resample as bare file names.
  const meta: ProcessorMeta = {
    processors: raw.processors.map((p) => ({
      ...p,
      images: p.images.map((i) => (typeof i === 'string' ? { file: i } : i)),
    })),
  };
  return {
    dir,
    meta,
    async loadPng(file) {
      const { data, info } = await sharp(join(dir, file)).raw().toBuffer({ resolveWithObject: true });
      const channels = info.channels;
      if (channels !== 1 && channels !== 3 && channels !== 4)
        throw new Error(`${file}: sharp gave ${channels} channels`);
      return { width: info.width, height: info.height, channels, data: new Uint8Array(data) };
    },
  };
}
