import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NodeError } from './node-error.js';

/** Raised when an output file exists and overwriting was not asked for; a {@link NodeError} naming it. */
export class OutputExistsError extends NodeError {
  override readonly name = 'OutputExistsError';
  declare readonly path: string;

  constructor(path: string) {
    super(`${path} already exists; pass --force (force: true) to overwrite it`, { path });
  }
}

/** Options for {@link writeFileAtomic}. */
export interface WriteOptions {
  /** Replace an existing file. Default false: an existing file is never touched. */
  force?: boolean;
}

/**
 * Writes a file atomically: the bytes go to a temporary file beside the target, are flushed, then
 * renamed over it (or, without `force`, hard-linked into place), so a crash never leaves a
 * half-written file. Parent folders are created. Without `force`, an existing file is refused and
 * left as it was, also when another writer creates it meanwhile.
 *
 * `data` may also be chunks, written in order as they come, for a file larger than one buffer: if
 * the chunks fail part way, the error comes out and nothing is left behind.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  options: WriteOptions = {},
): Promise<void> {
  if (!options.force && (await exists(path))) throw new OutputExistsError(path);
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx');
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for await (const chunk of data) await handle.write(chunk);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    if (options.force) await rename(tmp, path);
    else await publishNew(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Errors of file systems without hard links (FAT, some network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/**
 * Puts the finished temporary file at `path` only if nothing is there. A hard link fails with EEXIST
 * instead of replacing, so two writers racing for one path cannot both succeed (a check followed by
 * a rename would let the second silently overwrite the first).
 */
async function publishNew(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputExistsError(path);
    if (code === undefined || !NO_HARD_LINKS.has(code)) throw e;
    if (await exists(path)) throw new OutputExistsError(path);
    await rename(tmp, path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
