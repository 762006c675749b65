import type { FileSink, FileSinkWriteOptions } from '@imagegpt/config';
import { WebError } from './web-error.js';

/**
 * A {@link FileSink} over a folder of the browser's file system: a `FileSystemDirectoryHandle`
 * from `showDirectoryPicker()` (a folder on the user's disk, Chromium) or from
 * `navigator.storage.getDirectory()` (the origin-private file system, every modern browser). Each
 * file goes through a writable stream, which the browser writes to a scratch file and puts in
 * place only when it closes, so a failed save never leaves half a file; without `force` an
 * existing file is refused. Sub-folders in a path are created.
 *
 * @example
 * const dir = await window.showDirectoryPicker({ mode: 'readwrite' });
 * await model.savePretrained(new DirectoryHandleSink(dir));
 */
export class DirectoryHandleSink implements FileSink {
  /** The folder's name, for messages. */
  readonly location: string;
  readonly #root: FileSystemDirectoryHandle;

  constructor(root: FileSystemDirectoryHandle, location = root.name) {
    this.#root = root;
    this.location = location;
  }

  async exists(path: string): Promise<boolean> {
    const { folders, name } = this.#split(path);
    try {
      const dir = await this.#folder(folders, false);
      await dir.getFileHandle(name);
      return true;
    } catch (e) {
      if (e instanceof DOMException && (e.name === 'NotFoundError' || e.name === 'TypeMismatchError'))
        return false;
      throw e;
    }
  }

  async write(
    path: string,
    data: Uint8Array | Iterable<Uint8Array>,
    options: FileSinkWriteOptions = {},
  ): Promise<void> {
    const { folders, name } = this.#split(path);
    if (options.force !== true && (await this.exists(path))) {
      throw new WebError(`${this.location}/${path} already exists; pass force: true to overwrite it`);
    }
    const dir = await this.#folder(folders, true);
    const stream = await (await dir.getFileHandle(name, { create: true })).createWritable();
    try {
      for (const chunk of data instanceof Uint8Array ? [data] : data)
        await stream.write(chunk as Uint8Array<ArrayBuffer>);
      await stream.close();
    } catch (e) {
      await stream.abort().catch(() => undefined);
      throw e;
    }
  }

  /** A relative `/`-separated path as folders and a file name; anything that would leave the root is refused. */
  #split(path: string): { folders: string[]; name: string } {
    const parts = path.split('/');
    if (path === '' || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new WebError(`${path}: refusing a path outside the output folder ${this.location}`);
    }
    return { folders: parts.slice(0, -1), name: parts.at(-1) as string };
  }

  async #folder(folders: readonly string[], create: boolean): Promise<FileSystemDirectoryHandle> {
    let dir = this.#root;
    for (const folder of folders) dir = await dir.getDirectoryHandle(folder, { create });
    return dir;
  }
}
