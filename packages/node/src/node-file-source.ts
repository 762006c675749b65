import { constants as bufferConstants } from 'node:buffer';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileSource } from '@imagegpt/core';
import { NodeError } from './node-error.js';

/** Reads chunks of this size so progress can be reported on large checkpoints. */
const CHUNK = 16 * 1024 * 1024;

/** The longest typed array this platform can allocate (4 GiB on Node 20, more on later versions). */
const MAX_READ_BYTES = bufferConstants.MAX_LENGTH;

/**
 * A {@link FileSource} over a folder on disk: a Hugging Face model folder such as
 * `./igpt-small` or a `file:` URL.
 *
 * Paths are resolved inside the folder only; `../` escapes are refused so a hostile index file
 * cannot make the loader read elsewhere. Every refusal is a {@link NodeError} naming the file. Besides whole-file reads it offers {@link size} and
 * {@link readRange}, so `loadCheckpoint` reads safetensors files of any size tensor by tensor.
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
      throw new NodeError(`${path}: refusing a path outside the model folder ${this.location}`, {
        path: full,
        field: 'path',
        value: path,
      });
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

  /**
   * The whole file, read in 16 MiB chunks through a file handle (`onProgress` after each). A file
   * longer than the platform's largest typed array (4 GiB on Node 20) is refused with an error
   * pointing to {@link readRange}, which `loadCheckpoint` uses for safetensors files.
   */
  async read(
    path: string,
    onProgress?: (loaded: number, total: number | undefined) => void,
  ): Promise<Uint8Array> {
    return this.#withHandle(path, async (handle, size) => {
      if (size > MAX_READ_BYTES) {
        const limit = MAX_READ_BYTES / 2 ** 30;
        throw new NodeError(
          `${path} is ${size} bytes, more than the ${MAX_READ_BYTES} bytes (${limit} GiB) one buffer can hold here, so it cannot be read whole: use a safetensors file; files over ${limit} GiB are read tensor by tensor only through readRange`,
          { path: this.describe(path) },
        );
      }
      const out = new Uint8Array(size);
      let loaded = 0;
      while (loaded < size) {
        const { bytesRead } = await handle.read(out, loaded, Math.min(CHUNK, size - loaded), loaded);
        if (bytesRead === 0) break; // shrank while reading: return what is there
        loaded += bytesRead;
        onProgress?.(loaded, size);
      }
      if (size === 0) onProgress?.(0, 0);
      return loaded === size ? out : out.subarray(0, loaded);
    });
  }

  /** The file's length in bytes. */
  async size(path: string): Promise<number> {
    const full = this.resolvePath(path);
    const info = await stat(full).catch((e: unknown) => {
      throw this.#cannotOpen(path, full, e);
    });
    if (!info.isFile()) throw new NodeError(`${path} is not a file`, { path: full });
    return info.size;
  }

  /**
   * Exactly `length` bytes starting at byte `offset`, by positioned reads on a file handle (any
   * offset, also beyond 4 GiB). A range that runs past the end of the file is refused before
   * reading, and one the file no longer holds (truncated meanwhile) throws too.
   */
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    for (const [field, value] of [
      ['offset', offset],
      ['length', length],
    ] as const) {
      if (!isCount(value)) {
        throw new NodeError(`${path}: offset ${offset} and length ${length} must be non-negative integers`, {
          path: this.describe(path),
          field,
          value,
        });
      }
    }
    if (length > MAX_READ_BYTES) {
      throw new NodeError(
        `${path}: cannot read ${length} bytes at once; one buffer holds at most ${MAX_READ_BYTES} bytes here`,
        { path: this.describe(path), field: 'length', value: length },
      );
    }
    return this.#withHandle(path, async (handle, size) => {
      if (offset + length > size) {
        throw new NodeError(
          `${path}: cannot read bytes [${offset}, ${offset + length}) of a ${size}-byte file: the range runs past its end`,
          { path: this.describe(path), field: 'length', value: length },
        );
      }
      const out = new Uint8Array(length);
      let loaded = 0;
      while (loaded < length) {
        const want = Math.min(CHUNK, length - loaded);
        const { bytesRead } = await handle.read(out, loaded, want, offset + loaded);
        if (bytesRead === 0) {
          throw new NodeError(
            `${path}: the file ended at byte ${offset + loaded} while reading bytes [${offset}, ${offset + length}) (truncated while reading?)`,
            { path: this.describe(path) },
          );
        }
        loaded += bytesRead;
      }
      return out;
    });
  }

  /** A path for messages: `<folder>/<file>`. */
  describe(path: string): string {
    return join(this.location, path);
  }

  /** Opens `path` (inside the folder), runs `use` with the handle and the file's size, closes it. */
  async #withHandle<T>(path: string, use: (handle: FileHandle, size: number) => Promise<T>): Promise<T> {
    const full = this.resolvePath(path);
    const handle = await open(full, 'r').catch((e: unknown) => {
      throw this.#cannotOpen(path, full, e);
    });
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new NodeError(`${path} is not a file`, { path: full });
      return await use(handle, info.size);
    } finally {
      await handle.close();
    }
  }

  /** The {@link NodeError} for a file that cannot be opened, keeping the system's code (ENOENT, EACCES). */
  #cannotOpen(path: string, full: string, cause: unknown): NodeError {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file in ${this.location}` : 'cannot be opened';
    return new NodeError(`${path}: ${why} (${code ?? reason(cause)})`, { path: full }, { cause });
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
