import { randomUUID } from 'node:crypto';
import { copyFile, lstat, mkdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import {
  checkRepoId,
  checkRevision,
  HubError,
  isCommitHash,
  isPlainRelativePath,
  repoFolderName,
} from '@imagegpt/core/hub';
import { readRegularFile } from '../node-file-source.js';

/**
 * The most bytes a `refs/{revision}` file is read for: it holds one commit id (40 characters),
 * so a larger one, a FIFO or a device in its place is refused before it is read.
 */
const MAX_REF_BYTES = 1024;

/** A refs file's text through the reading policy: a regular file of at most {@link MAX_REF_BYTES}. */
async function readRef(path: string): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(path, { maxBytes: MAX_REF_BYTES }));
}

/**
 * One model repo in a hub cache, laid out exactly as Python's huggingface_hub lays it out, so
 * either tool uses what the other downloaded:
 *
 * ```
 * {cache}/models--{org}--{name}/
 *   blobs/{etag}                      file contents, named by sha256 (large files) or git blob id
 *   blobs/{etag}.incomplete           a download in progress (resumed by either tool)
 *   snapshots/{commit}/{file}         relative symlink to ../../blobs/{etag} (a copy where links fail)
 *   refs/{revision}                   the commit a branch or tag pointed to when last asked
 *   .no_exist/{commit}/{file}         empty: the repo has no such file at that commit
 * {cache}/.locks/models--{org}--{name}/{etag}.igpt.lock   this library's lock per blob
 * ```
 */
export class HubCacheRepo {
  /** The cache folder. */
  readonly cacheDir: string;
  /** The repo id. */
  readonly repo: string;
  /** `{cache}/models--{org}--{name}`. */
  readonly folder: string;

  constructor(cacheDir: string, repo: string) {
    this.cacheDir = resolve(cacheDir);
    this.repo = checkRepoId(repo);
    this.folder = join(this.cacheDir, repoFolderName(repo));
  }

  /** `blobs/{etag}`. */
  blobPath(etag: string): string {
    if (!/^[0-9A-Za-z_.-]{1,128}$/.test(etag) || etag.startsWith('.')) {
      throw new HubError(
        `${this.repo}: the server sent ETag ${JSON.stringify(etag.slice(0, 100))}, which cannot name a blob`,
        {
          reason: 'protocol',
          repo: this.repo,
        },
      );
    }
    return join(this.folder, 'blobs', etag);
  }

  /** `snapshots/{commit}`. */
  snapshotFolder(commit: string): string {
    return join(this.folder, 'snapshots', checkCommit(commit, this.repo));
  }

  /** `snapshots/{commit}/{file}`, refusing a file name that would leave the snapshot. */
  snapshotPath(commit: string, file: string): string {
    return join(this.snapshotFolder(commit), checkFileName(file, this.repo));
  }

  /** `refs/{revision}`. */
  refPath(revision: string): string {
    return join(this.folder, 'refs', ...checkRevision(revision, this.repo).split('/'));
  }

  /** `.no_exist/{commit}/{file}`. */
  noExistPath(commit: string, file: string): string {
    return join(this.folder, '.no_exist', checkCommit(commit, this.repo), checkFileName(file, this.repo));
  }

  /** This library's lock for one blob: `.locks/models--{org}--{name}/{etag}.igpt.lock`. */
  lockPath(etag: string): string {
    // Not Python's `{etag}.lock`: Python's file locks stay on disk after release, and an
    // exclusive-create lock would take a leftover one for a held lock.
    return join(this.cacheDir, '.locks', basename(this.folder), `${basename(this.blobPath(etag))}.igpt.lock`);
  }

  /**
   * The commit `revision` stands for in the cache: itself when it is a commit id, else the content
   * of `refs/{revision}`; undefined when the cache has never resolved it.
   */
  async resolveRevision(revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    let text: string;
    try {
      text = await readRef(this.refPath(revision));
    } catch (e) {
      if (isMissing(e) || isMissing((e as Error).cause)) return undefined;
      throw cacheError(this.repo, `cannot read ${this.refPath(revision)}`, e);
    }
    const commit = text.trim();
    if (!isCommitHash(commit)) {
      throw new HubError(
        `${this.refPath(revision)} holds ${JSON.stringify(commit.slice(0, 60))}, not a commit id: the cache is damaged; delete that file`,
        {
          reason: 'cache',
          repo: this.repo,
          revision,
        },
      );
    }
    return commit;
  }

  /**
   * Records that `revision` points to `commit` (`refs/{revision}`), written atomically and only
   * when it changed, so a read-only cache that is up to date is never written to.
   */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = this.refPath(revision);
    if ((await readRef(path).catch(() => undefined)) === commit) return;
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
    await writeFile(temp, commit);
    await rename(temp, path);
  }

  /** Whether `snapshots/{commit}/{file}` is there and leads to a regular file. */
  async hasSnapshotFile(commit: string, file: string): Promise<boolean> {
    return isFile(this.snapshotPath(commit, file));
  }

  /** Whether `.no_exist/{commit}/{file}` records that the repo lacks the file. */
  async isKnownMissing(commit: string, file: string): Promise<boolean> {
    return isFile(this.noExistPath(commit, file));
  }

  /** Records that the repo has no `file` at `commit`; a cache that cannot be written is left as it is. */
  async markMissing(commit: string, file: string): Promise<void> {
    const path = this.noExistPath(commit, file);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, '', { flag: 'a' });
    } catch {
      // As in huggingface_hub: the record only saves a request next time.
    }
  }

  /**
   * Points `snapshots/{commit}/{file}` at `blobs/{etag}`: a relative symlink (`../../blobs/…`,
   * deeper for files in sub-folders), so the cache can be moved; a copy where the file system
   * refuses links. An existing pointer to the same blob is kept.
   */
  async linkSnapshotFile(commit: string, file: string, etag: string): Promise<string> {
    const pointer = this.snapshotPath(commit, file);
    const blob = this.blobPath(etag);
    await mkdir(dirname(pointer), { recursive: true });
    const target = relative(dirname(pointer), blob);
    const existing = await readlink(pointer).catch(() => undefined);
    if (existing !== undefined && resolve(dirname(pointer), existing) === blob) return pointer;
    await rm(pointer, { force: true });
    try {
      await symlink(target, pointer);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (
        code === 'EEXIST' &&
        resolve(dirname(pointer), (await readlink(pointer).catch(() => '')) || '.') === blob
      ) {
        return pointer; // another process linked it between rm and symlink
      }
      if (
        code !== 'EPERM' &&
        code !== 'ENOTSUP' &&
        code !== 'EOPNOTSUPP' &&
        code !== 'EACCES' &&
        code !== 'EINVAL'
      )
        throw e;
      // File systems without symlinks (FAT, some Windows setups): a copy, as huggingface_hub makes.
      const temp = `${pointer}.${randomUUID().slice(0, 8)}.tmp`;
      await copyFile(blob, temp);
      await rename(temp, pointer);
    }
    return pointer;
  }
}

/** Where a path sits in a hub cache: the repo folder, its blobs folder and the snapshot's commit. */
export interface HubSnapshotLocation {
  /** `{cache}/models--{org}--{name}`. */
  readonly repoFolder: string;
  /** `{cache}/models--{org}--{name}/blobs`: where the snapshot's symlinks may lead. */
  readonly blobs: string;
  /** The snapshot's commit. */
  readonly commit: string;
}

/**
 * When `folder` is a snapshot of a hub cache (`…/models--{org}--{name}/snapshots/{commit}`),
 * where its repo's blobs are; else undefined. A file-reading policy that follows a symlink only
 * when it stays inside the model folder uses this to also allow the links a snapshot is made of,
 * into that one repo's `blobs/` and nowhere else.
 *
 * @example
 * hubSnapshotLocation('/home/me/.cache/huggingface/hub/models--openai--imagegpt-small/snapshots/0123…');
 * // { repoFolder: '…/models--openai--imagegpt-small', blobs: '…/models--openai--imagegpt-small/blobs', commit: '0123…' }
 */
export function hubSnapshotLocation(folder: string): HubSnapshotLocation | undefined {
  const full = resolve(folder);
  const commit = basename(full);
  const snapshots = dirname(full);
  const repoFolder = dirname(snapshots);
  if (
    !isCommitHash(commit) ||
    basename(snapshots) !== 'snapshots' ||
    !/^models--./.test(basename(repoFolder))
  ) {
    return undefined;
  }
  return { repoFolder, blobs: join(repoFolder, 'blobs'), commit };
}

function checkCommit(commit: string, repo: string): string {
  if (!isCommitHash(commit)) {
    throw new HubError(`${repo}: ${JSON.stringify(commit.slice(0, 60))} is not a commit id (40 hex digits)`, {
      reason: 'protocol',
      repo,
    });
  }
  return commit;
}

function checkFileName(file: string, repo: string): string {
  if (!isPlainRelativePath(file)) {
    throw new HubError(
      `${repo}: refusing file name ${JSON.stringify(file.slice(0, 100))}, which would leave the snapshot folder`,
      {
        reason: 'invalid',
        repo,
        file,
      },
    );
  }
  return join(...file.split('/'));
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Whether an error means the path (or a folder on it) is not there. */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A {@link HubError} for a cache file that cannot be used. */
export function cacheError(repo: string, what: string, cause: unknown): HubError {
  const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new HubError(`hub cache for ${repo}: ${what} (${code})`, { reason: 'cache', repo }, { cause });
}

/** Whether `path` exists as anything, a dangling link included. */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
