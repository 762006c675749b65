import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError } from './cli-error.js';

/** One file of an output folder. */
export interface FolderFile {
  readonly name: string;
  readonly data: Uint8Array | string;
}

/**
 * Writes a whole output folder atomically: the files go to a temporary folder beside it, which is
 * renamed into place once complete, so an interrupted run leaves no half-filled folder. Without
 * `force` an existing folder is refused; with it, the old folder is replaced (moved aside, then
 * removed). Resolves to the folder's absolute path.
 */
export async function writeOutputFolder(
  path: string,
  files: AsyncIterable<FolderFile> | Iterable<FolderFile>,
  force: boolean | undefined,
): Promise<string> {
  const full = resolve(path);
  if (!force && existsSync(full)) throw new CliError(`${path} already exists; pass --force to overwrite it`);
  await mkdir(dirname(full), { recursive: true });
  const tag = randomBytes(6).toString('hex');
  const tmp = join(dirname(full), `.${basename(full)}.${tag}.tmp`);
  await mkdir(tmp);
  try {
    for await (const file of files) await writeFile(join(tmp, file.name), file.data);
    if (existsSync(full)) {
      if (!force) throw new CliError(`${path} already exists; pass --force to overwrite it`);
      const old = join(dirname(full), `.${basename(full)}.${tag}.old`);
      await rename(full, old);
      await rename(tmp, full);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, full);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return full;
}
