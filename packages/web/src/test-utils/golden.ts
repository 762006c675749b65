import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FileSource } from '@imagegpt/core';

/** /work/shared/golden seen from this repository: `<repo>/../shared/golden`. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../../../shared/golden/', import.meta.url));

/** Fails loudly (never skips) when the golden data is missing, as CI always has it. */
export function goldenCase(name: string): string {
  const dir = `${GOLDEN_DIR}${name}`;
  if (!existsSync(dir))
    throw new Error(`golden case ${dir} is missing: tests need ../shared/golden beside the repository`);
  return dir;
}

/** A minimal FileSource over a folder, so these tests need no @imagegpt/node. */
export function folderSource(dir: string): FileSource {
  return {
    location: dir,
    exists: async (path) => (await stat(`${dir}/${path}`).catch(() => undefined))?.isFile() === true,
    read: async (path) => new Uint8Array(await readFile(`${dir}/${path}`)),
  };
}
