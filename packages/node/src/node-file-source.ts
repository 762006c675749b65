import { constants as bufferConstants } from 'node:buffer';
import { constants as fsConstants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FilePolicyError, type FileReadOptions, type FileSource, type LocalFile } from '@imagegpt/core';
import { hubCacheBlobsDir } from '@imagegpt/core/io';
import { NodeError } from './node-error.js';
import { NodeLocalFile } from './node-local-file.js';

/** Reads chunks of this size so progress can be reported on large checkpoints. */
const CHUNK = 16 * 1024 * 1024;

/** The longest typed array this platform can allocate (4 GiB on Node 20, more on later versions). */
const MAX_READ_BYTES = bufferConstants.MAX_LENGTH;

/** Options of {@link NodeFileSource}. */
export interface NodeFileSourceOptions {
  /**
   * Folders besides the model folder that its symbolic links may lead into. Default: when the
   * folder is a snapshot of the Hugging Face hub cache (`…/models--org--name/snapshots/<rev>/`),
   * that repository's `blobs/` folder ({@link hubCacheBlobsDir}), where Python's cache links
   * every file; otherwise none.
   */
  readonly linkRoots?: readonly string[];
}

/** Opens without waiting: a FIFO swapped in after the checks cannot hang the open (0 where there is no such flag). */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/**
 * A {@link FileSource} over a folder on disk: a Hugging Face model folder such as
 * `./igpt-small` or a `file:` URL.
 *
 * It applies the file-reading policy of `@imagegpt/core`'s io module on the file system: paths
 * are resolved inside the folder only (`../` escapes are refused, a {@link NodeError}, so a
 * hostile index file cannot make the loader read elsewhere); only regular files are read (a FIFO,
 * a device or a socket is refused before it is opened, and files are opened non-blocking); a
 * symbolic link is followed only when its real path stays inside the folder or one of
 * {@link NodeFileSourceOptions.linkRoots} (the hub cache's `blobs/` by default); and a read is
 * bounded by the size the file had when opened and by `maxBytes`. Those refusals are a
 * `FilePolicyError` naming the file and the rule. Besides whole-file reads it offers {@link size}
 * and {@link readRange}, so `loadCheckpoint` reads safetensors files of any size tensor by tensor.
 */
export class NodeFileSource implements FileSource {
  /** Absolute path of the folder. */
  readonly location: string;
  /** Folders, besides the model folder, that links may lead into (absolute paths). */
  readonly linkRoots: readonly string[];
  /** Whether {@link linkRoots} came from the options (else from the hub cache layout, found from the real path). */
  readonly #linkRootsGiven: boolean;
  /** The real paths of the folder and of the link roots, found once. */
  #roots: Promise<readonly string[]> | undefined;

  constructor(dir: string | URL, options: NodeFileSourceOptions = {}) {
    this.location = resolve(typeof dir === 'string' ? dir : fileURLToPath(dir));
    this.#linkRootsGiven = options.linkRoots !== undefined;
    const blobs = hubCacheBlobsDir(this.location);
    this.linkRoots = (options.linkRoots ?? (blobs === undefined ? [] : [blobs])).map((root) => resolve(root));
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

  /**
   * Whether the folder has an entry `path` that is not a folder. A FIFO, a device or a link that
   * leads outside counts as existing, so that reading it gives the policy's refusal rather than
   * "missing".
   */
  async exists(path: string): Promise<boolean> {
    try {
      return !(await lstat(this.resolvePath(path))).isDirectory();
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
    options: FileReadOptions = {},
  ): Promise<Uint8Array> {
    return this.#withHandle(path, async (handle, size) => {
      const { maxBytes } = options;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new FilePolicyError(`${size} bytes, more than the ${maxBytes} its reader accepts`, {
          file: this.describe(path),
          rule: 'size',
          limit: maxBytes,
          size,
        });
      }
      if (size > MAX_READ_BYTES) {
        const limit = MAX_READ_BYTES / 2 ** 30;
        throw new NodeError(
          `${path} is ${size} bytes, more than the ${MAX_READ_BYTES} bytes (${limit} GiB) one buffer can hold here, so it cannot be read whole: use a safetensors file; files over ${limit} GiB are read tensor by tensor only through readRange`,
          { path: this.describe(path) },
        );
      }
      return readWhole(handle, size, onProgress);
    });
  }

  /** The file's length in bytes (checked by the policy as a read would be). */
  async size(path: string): Promise<number> {
    return this.#withHandle(path, async (_handle, size) => size);
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

  /**
   * The file as a {@link LocalFile}, opened under the same policy as a read: `loadCheckpoint` then
   * leaves safetensors weights in it, read as they are used, and onnxruntime-node maps them from
   * it. Its reads refuse the file once it has been replaced or written to.
   */
  async localFile(path: string): Promise<LocalFile> {
    return this.#withHandle(
      path,
      async (handle, _size, real) => new NodeLocalFile(real, this.describe(path), await handle.stat()),
    );
  }

  /** A path for messages: `<folder>/<file>`. */
  describe(path: string): string {
    return join(this.location, path);
  }

  /**
   * Opens `path` under the policy, runs `use` with the handle and the file's size, closes it:
   * the real path must lie inside the folder or a link root, the file must be a regular one, and
   * what is opened (non-blocking) must be the file that was checked.
   */
  async #withHandle<T>(
    path: string,
    use: (handle: FileHandle, size: number, real: string) => Promise<T>,
  ): Promise<T> {
    const full = this.resolvePath(path);
    const file = this.describe(path);
    const real = await realpath(full).catch((e: unknown) => {
      throw this.#cannotOpen(path, full, e);
    });
    const roots = await this.#realRoots();
    if (!roots.some((root) => isInside(real, root))) {
      const where = this.linkRoots.length > 0 ? ` or ${this.linkRoots.join(', ')}` : '';
      throw new FilePolicyError(
        `a link to ${real}, outside the model folder: links are followed only when they stay inside ${this.location}${where}`,
        { file, rule: 'link', target: real },
      );
    }
    const { handle, size } = await openRegular(real, file, (e) => this.#cannotOpen(path, full, e));
    try {
      return await use(handle, size, real);
    } finally {
      await handle.close();
    }
  }

  /** The real paths of the folder and of the link roots (a root that does not exist is left out). */
  #realRoots(): Promise<readonly string[]> {
    this.#roots ??= (async () => {
      const folder = await realpath(this.location).catch(() => this.location);
      // A folder reached through a link may still be a hub snapshot: look at its real path too.
      const blobs = this.#linkRootsGiven ? undefined : hubCacheBlobsDir(folder);
      const roots = blobs === undefined ? this.linkRoots : [...this.linkRoots, blobs];
      const reals = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
      return [folder, ...reals.filter((root): root is string => root !== undefined)];
    })();
    return this.#roots;
  }

  /** The {@link NodeError} for a file that cannot be opened, keeping the system's code (ENOENT, EACCES). */
  #cannotOpen(path: string, full: string, cause: unknown): NodeError {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file in ${this.location}` : 'cannot be opened';
    return new NodeError(`${path}: ${why} (${code ?? reason(cause)})`, { path: full }, { cause });
  }
}

/**
 * Reads `size` bytes from the start of an open file in 16 MiB chunks (`onProgress` after each, and
 * once for an empty file). A file that shrank while being read gives what was there.
 */
async function readWhole(
  handle: FileHandle,
  size: number,
  onProgress?: (loaded: number, total: number) => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let loaded = 0;
  while (loaded < size) {
    const { bytesRead } = await handle.read(out, loaded, Math.min(CHUNK, size - loaded), loaded);
    if (bytesRead === 0) break;
    loaded += bytesRead;
    onProgress?.(loaded, size);
  }
  if (size === 0) onProgress?.(0, 0);
  return loaded === size ? out : out.subarray(0, loaded);
}

/**
 * Opens `real` if it is a regular file: checked before the open, which does not wait (a FIFO
 * cannot hang it), and again on the handle, which must be the file checked.
 */
async function openRegular(
  real: string,
  file: string,
  cannotOpen: (cause: unknown) => Error,
): Promise<{ handle: FileHandle; size: number }> {
  const checked = await stat(real).catch((e: unknown) => {
    throw cannotOpen(e);
  });
  if (!checked.isFile()) throw notRegular(file, checked);
  const handle = await open(real, OPEN_FLAGS).catch((e: unknown) => {
    throw cannotOpen(e);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(file, info);
    if (info.ino !== checked.ino || info.dev !== checked.dev) {
      throw new FilePolicyError('changed between its checks and its opening; try again', {
        file,
        rule: 'kind',
      });
    }
    return { handle, size: info.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Reads one file a user named (an image, a tokens file) whole, under the reading policy's kind and
 * size rules: only a regular file is read (a FIFO or a device is refused before it is opened, and
 * the open does not wait), never more than the size it had when opened, and a file over
 * `maxBytes` is refused unread. Links are followed: the user chose the path. Refusals are a
 * `FilePolicyError`; a file that cannot be opened is a {@link NodeError}.
 *
 * @example
 * const bytes = await readRegularFile('digit.png');
 */
export async function readRegularFile(path: string, options: FileReadOptions = {}): Promise<Uint8Array> {
  const full = resolve(path);
  const cannotOpen = (cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : 'cannot be opened';
    return new NodeError(`${path}: ${why} (${code ?? reason(cause)})`, { path: full }, { cause });
  };
  const { handle, size } = await openRegular(full, path, cannotOpen);
  try {
    const { maxBytes } = options;
    if ((maxBytes !== undefined && size > maxBytes) || size > MAX_READ_BYTES) {
      const limit = Math.min(maxBytes ?? MAX_READ_BYTES, MAX_READ_BYTES);
      throw new FilePolicyError(`${size} bytes, more than the ${limit} its reader accepts`, {
        file: path,
        rule: 'size',
        limit,
        size,
      });
    }
    return await readWhole(handle, size);
  } finally {
    await handle.close();
  }
}

/** Whether `path` is `root` or lies inside it (both absolute and real). */
function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The refusal of a FIFO, a device, a socket or a folder: only regular files are read. */
function notRegular(file: string, info: Stats): FilePolicyError {
  const kind = info.isDirectory()
    ? 'a folder'
    : info.isFIFO()
      ? 'a FIFO (named pipe)'
      : info.isCharacterDevice() || info.isBlockDevice()
        ? 'a device'
        : info.isSocket()
          ? 'a socket'
          : 'an unknown kind of file';
  return new FilePolicyError(`${kind}, not a regular file: only regular files are read`, {
    file,
    rule: 'kind',
  });
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
