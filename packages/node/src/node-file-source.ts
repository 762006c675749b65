import { open, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileSource } from '@imagegpt/core';

/** Reads chunks of this size so progress can be reported on large checkpoints. */
const CHUNK = 16 * 1024 * 1024;

/**
 * A {@link FileSource} over a folder on disk: a Hugging Face model folder such as
 * `./igpt-small` or a `file:` URL.
 *
 * Paths are resolved inside the folder only; `../` escapes are refused so a hostile index file
 * cannot make the loader read elsewhere.
 */
export class NodeFileSource implements FileSource {
  /** Absolute path of the folder. */
  readonly location: string;

  constructor(dir: string | URL) {
    this.location = resolve(typeof dir === 'string' ? dir : fileURLToPath(dir));
  }

  /** Resolves `path` inside the folder, refusing anything that would leave it. */
  resolvePath(path: string): string {
    const full = resolve(this.location, path);
    const rel = relative(this.location, full);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`${path}: refusing a path outside the model folder ${this.location}`);
    }
    return full;
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await stat(this.resolvePath(path))).isFile();
    } catch {
      return false;
    }
  }

  async read(
    path: string,
    onProgress?: (loaded: number, total: number | undefined) => void,
  ): Promise<Uint8Array> {
    const full = this.resolvePath(path);
    if (!onProgress) return new Uint8Array(await readFile(full));
    const handle = await open(full, 'r');
    try {
      const { size } = await handle.stat();
      const out = new Uint8Array(size);
      let loaded = 0;
      while (loaded < size) {
        const { bytesRead } = await handle.read(out, loaded, Math.min(CHUNK, size - loaded), loaded);
        if (bytesRead === 0) break;
        loaded += bytesRead;
        onProgress(loaded, size);
      }
      return loaded === size ? out : out.subarray(0, loaded);
    } finally {
      await handle.close();
    }
  }

  /** A path for messages: `<folder>/<file>`. */
  describe(path: string): string {
    return join(this.location, path);
  }
}
