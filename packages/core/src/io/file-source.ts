/**
 * Byte access to a model folder (local directory, URL prefix, in-memory map). Implemented by
 * `@imagegpt/node` over the file system and by `@imagegpt/web` over fetch; paths are relative to
 * {@link FileSource.location} and use `/`.
 *
 * A source that also implements {@link FileSource.size} and {@link FileSource.readRange} lets
 * `loadCheckpoint` read safetensors files tensor by tensor, so no buffer ever holds a whole
 * file (needed for checkpoints of several GiB); without them every file is read whole.
 *
 * @example
 * const files: FileSource = {
 *   location: 'memory',
 *   exists: async (path) => path in bytes,
 *   read: async (path) => bytes[path],
 * };
 */
export interface FileSource {
  /** Where the folder is, for messages (a directory path or a URL). */
  readonly location: string;
  /** Whether the file exists. */
  exists(path: string): Promise<boolean>;
  /**
   * The whole file; `onProgress` may be called as bytes arrive (`total` when known). A source
   * should honour {@link FileReadOptions.maxBytes}; the policy's readers check the length anyway.
   */
  read(
    path: string,
    onProgress?: (loaded: number, total: number | undefined) => void,
    options?: FileReadOptions,
  ): Promise<Uint8Array>;
  /** The file's length in bytes. Optional; used together with {@link FileSource.readRange}. */
  size?(path: string): Promise<number>;
  /**
   * Exactly `length` bytes of the file starting at byte `offset`, in a new array the caller may
   * keep; a range that runs past the end of the file must throw. Optional; used together with
   * {@link FileSource.size}.
   */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * The file as a {@link LocalFile} on this machine's disk, under the same policy as a read.
   * Optional: a source that offers it lets `loadCheckpoint` leave safetensors weights where they
   * lie, to be read only when used, and a backend that reads local files (onnxruntime-node) load
   * them from there itself instead of through JS memory.
   */
  localFile?(path: string): Promise<LocalFile>;
}

/**
 * A file on the local disk, opened once and identified then (its real path, size and modification
 * time): the bytes of a checkpoint that stay in the file until they are used.
 */
export interface LocalFile {
  /** The real, absolute path (links resolved). */
  readonly path: string;
  /** Its length in bytes when it was opened. */
  readonly size: number;
  /**
   * Exactly `length` bytes at `offset`, read synchronously (graphs are built synchronously); throws
   * when the file is no longer the one opened.
   */
  readSync(offset: number, length: number): Uint8Array;
  /** Throws when the file on disk is no longer the one opened (replaced, resized or written to). */
  check(): void;
}

/** Options of {@link FileSource.read}. */
export interface FileReadOptions {
  /**
   * The most bytes the caller will accept: a source refuses a longer file (a `FilePolicyError`
   * with rule `size`) before reading it when it knows the size, else as soon as more arrive, so a
   * huge or endless file never fills memory.
   */
  readonly maxBytes?: number;
}

/** A {@link FileSource} that can read parts of files. */
export type RangedFileSource = FileSource & Required<Pick<FileSource, 'size' | 'readRange'>>;

/** Whether `files` offers both {@link FileSource.size} and {@link FileSource.readRange}. */
export function canReadRanges(files: FileSource): files is RangedFileSource {
  return typeof files.size === 'function' && typeof files.readRange === 'function';
}

/** Where `path` of the source is, for messages: `<location>/<path>`. */
export function fileLocation(files: FileSource, path: string): string {
  return files.location.endsWith('/') ? `${files.location}${path}` : `${files.location}/${path}`;
}

/**
 * Whether `path` (read from a downloaded file, such as a shard name in an index) is a plain
 * relative path that stays inside the folder: no leading `/`, no `\`, no URL scheme, no empty,
 * `.` or `..` segment.
 */
export function isPlainRelativePath(path: string): boolean {
  return (
    path.length > 0 &&
    !path.startsWith('/') &&
    !path.includes('\\') &&
    !/^[a-z][a-z0-9+.-]*:/i.test(path) &&
    path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
  );
}
