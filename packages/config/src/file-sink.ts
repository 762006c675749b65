/** Options for {@link FileSink.write}. */
export interface FileSinkWriteOptions {
  /** Replace a file that is already there. Default false: an existing file is refused, never replaced. */
  readonly force?: boolean;
}

/**
 * Where `savePretrained` writes a model folder: the write side of the checkpoint readers'
 * `FileSource`. The packages that save stay platform-free and call only this; `@imagegpt/node`
 * implements it over the file system (`NodeFileSink`), and a browser app can implement it over
 * the File System Access API, a zip, or memory.
 *
 * An implementation must write each file atomically (a reader sees the old file or the whole new
 * one, never a part) and, without `force`, must refuse to replace an existing file by throwing.
 *
 * @example
 * const files = new Map<string, Uint8Array>();
 * const memory: FileSink = {
 *   location: 'memory',
 *   async write(path, data, { force } = {}) {
 *     if (files.has(path) && !force) throw new Error(`${path} exists`);
 *     files.set(path, data);
 *   },
 * };
 */
export interface FileSink {
  /** Where the files go, for messages (a directory path or a URL). */
  readonly location: string;
  /**
   * Writes `path` (relative to {@link location}, `/`-separated) with `data`, whole or not at all.
   * `data` may be chunks written in order, for a file larger than one buffer (a model's weights).
   */
  write(path: string, data: Uint8Array | Iterable<Uint8Array>, options?: FileSinkWriteOptions): Promise<void>;
  /**
   * Whether `path` exists. Optional: when a sink has it, a save that writes several files checks
   * them all first, so a save refused for one existing file writes none.
   */
  exists?(path: string): Promise<boolean>;
}
