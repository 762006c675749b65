import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  openSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs';
import type { LocalFile } from '@imagegpt/core';
import { NodeError } from './node-error.js';

/** What identifies the file that was opened: a replaced, resized or rewritten file differs in one. */
type Identity = Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

const sameFile = (a: Identity, b: Identity) =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * A {@link LocalFile} on Node's file system: the real path of a file `NodeFileSource` opened under
 * its policy, and that file's identity then. Reads reopen the path and refuse a file that is no
 * longer the same one, so a checkpoint never mixes bytes of two files.
 */
export class NodeLocalFile implements LocalFile {
  readonly size: number;
  readonly #identity: Identity;

  /** `path`: the real path; `shown`: the path for messages; `stats`: the opened file's. */
  constructor(
    readonly path: string,
    private readonly shown: string,
    stats: Identity,
  ) {
    this.size = stats.size;
    this.#identity = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
  }

  check(): void {
    let now: Stats;
    try {
      now = statSync(this.path);
    } catch (cause) {
      throw this.#changed(cause);
    }
    if (!sameFile(now, this.#identity)) throw this.#changed();
  }

  readSync(offset: number, length: number): Uint8Array {
    if (offset + length > this.size) {
      throw new NodeError(
        `${this.shown}: cannot read bytes [${offset}, ${offset + length}) of a ${this.size}-byte file`,
        { path: this.shown, field: 'length', value: length },
      );
    }
    let fd: number;
    try {
      fd = openSync(this.path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    } catch (cause) {
      throw this.#changed(cause);
    }
    try {
      if (!sameFile(fstatSync(fd), this.#identity)) throw this.#changed();
      const out = new Uint8Array(length);
      let loaded = 0;
      while (loaded < length) {
        const read = readSync(fd, out, loaded, Math.min(2 ** 30, length - loaded), offset + loaded);
        if (read === 0) throw this.#changed();
        loaded += read;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }

  #changed(cause?: unknown): NodeError {
    return new NodeError(
      `${this.shown} changed on disk after the model was loaded (replaced, resized or written to): its weights are read from it as they are used, so load the model again`,
      { path: this.shown },
      cause === undefined ? undefined : { cause },
    );
  }
}
