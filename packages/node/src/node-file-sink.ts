import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileSink, FileSinkWriteOptions } from '@imagegpt/config';
import { writeFileAtomic } from './write-file.js';

/**
 * A {@link FileSink} over a folder on disk, for `savePretrained`: each file is written with
 * {@link writeFileAtomic} (a temporary file beside the target, flushed, then moved into place), so
 * a crash never leaves half a file, and without `force` an existing file is refused with an
 * `OutputExistsError` and left as it was. The folder is created when missing. Paths that would
 * leave the folder (`../x`, absolute paths) are refused.
 *
 * @example
 * await processor.savePretrained(new NodeFileSink('./my-model')); // writes ./my-model/preprocessor_config.json
 */
export class NodeFileSink implements FileSink {
  /** Absolute path of the folder. */
  readonly location: string;

  constructor(dir: string | URL) {
    this.location = resolve(typeof dir === 'string' ? dir : fileURLToPath(dir));
  }

  /** Resolves `path` inside the folder, refusing anything that would leave it. */
  resolvePath(path: string): string {
    const full = resolve(this.location, path);
    const rel = relative(this.location, full);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new Error(`${path}: refusing a path outside the output folder ${this.location}`);
    }
    return full;
  }

  async write(
    path: string,
    data: Uint8Array | Iterable<Uint8Array>,
    options: FileSinkWriteOptions = {},
  ): Promise<void> {
    await writeFileAtomic(this.resolvePath(path), data, { force: options.force ?? false });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(this.resolvePath(path));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }
}
