import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileLimits, WeightFormat } from '@imagegpt/core';
import {
  checkRepoId,
  checkRevision,
  chooseModelFiles,
  DEFAULT_REVISION,
  HubError,
  hubFileUrl,
  isCommitHash,
  type ModelFileProbe,
} from '@imagegpt/core/hub';
import { fileLimits, maxReadBytes, tooLarge } from '@imagegpt/core/io';
import { NodeFileSource } from '../node-file-source.js';
import { withBlobLock } from './blob-lock.js';
import { HubCacheRepo, pathExists } from './hub-cache.js';
import { downloadBlob, fetchMetadata, type HubRequestContext } from './hub-http.js';
import { type HubSettings, type HubSettingsOptions, hubSettings } from './hub-settings.js';

/** Progress of one file's download, as {@link downloadModel} reports it. */
export interface HubDownloadProgress {
  /** The file within the repo. */
  readonly file: string;
  /** Bytes of the file on disk so far (a resumed download starts above 0). */
  readonly loaded: number;
  /** The file's size. */
  readonly total: number;
  /** Always `'download'`: tells these events from the weight-reading ones of the same callback. */
  readonly stage: 'download';
}

/** Options of {@link downloadModel} (and of `fromPretrained` with a hub id). */
export interface HubDownloadOptions extends HubSettingsOptions {
  /** Branch, tag or commit; default `main`. Pin a commit for reproducible runs. */
  readonly revision?: string;
  /** Which weight format to look for first (`safetensors` by default). */
  readonly prefer?: WeightFormat;
  /** Called as each file downloads. */
  readonly onProgress?: (event: HubDownloadProgress) => void;
  /**
   * Called instead of `process.emitWarning` when the network fails and a cached snapshot is used
   * instead, as transformers warns and goes on.
   */
  readonly onWarning?: (message: string) => void;
  /** Pause between download tries; default 1000 ms (tests shorten it). */
  readonly retryDelayMs?: number;
  /** A lock file untouched this long is taken for abandoned; default 30 s. */
  readonly lockStaleMs?: number;
  /**
   * The reading policy's limits: a JSON file (`config.json`, an index) whose announced size is
   * over `maxJsonBytes` is refused before it is downloaded, and the index is read from the cache
   * under the same policy as a model folder; see `DEFAULT_FILE_LIMITS`.
   */
  readonly limits?: Partial<FileLimits>;
}

/** A model in the hub cache: what {@link downloadModel} returns and `igpt download --json` prints. */
export interface HubSnapshot {
  /** The repo id. */
  readonly repo: string;
  /** The revision asked for. */
  readonly revision: string;
  /** The commit it resolved to. */
  readonly commit: string;
  /** `…/models--{org}--{name}/snapshots/{commit}`: a model folder to load from. */
  readonly folder: string;
  /** The model's files in that folder (config, weights, shards). */
  readonly files: readonly string[];
  /** Bytes downloaded by this call (0 when everything was cached). */
  readonly downloadedBytes: number;
  /** Whether the network was left alone (offline mode, a pinned commit already cached, or a failure fallen back from). */
  readonly fromCache: boolean;
}

/**
 * Makes a hub model available in the local hub cache (Python's layout, shared with
 * huggingface_hub and transformers) and returns its snapshot folder. Online, one `HEAD` of
 * `config.json` resolves the revision to a commit; each other file is fetched only if the cache
 * lacks it: `config.json`, `preprocessor_config.json` and `generation_config.json` when present,
 * then the weights (`model.safetensors`, or its index and shards, else `pytorch_model.bin`, or its
 * index and shards). Offline (`HF_HUB_OFFLINE=1`, `TRANSFORMERS_OFFLINE=1` or `localFilesOnly`)
 * the cache alone answers. When the network fails and the cache holds a complete snapshot of the
 * revision, that snapshot is used with a warning.
 *
 * @example
 * const { folder, commit } = await downloadModel('openai/imagegpt-small', { revision: 'main' });
 */
export async function downloadModel(repo: string, options: HubDownloadOptions = {}): Promise<HubSnapshot> {
  checkRepoId(repo);
  const revision = checkRevision(options.revision ?? DEFAULT_REVISION, repo);
  const settings = hubSettings(options);
  const cache = new HubCacheRepo(settings.cacheDir, repo);
  if (settings.offline) {
    const cached = await cachedSnapshot(cache, revision, options.prefer, options.limits);
    if (cached.snapshot !== undefined) return cached.snapshot;
    throw new HubError(
      `${repo} at revision "${revision}" is not in the hub cache ${settings.cacheDir} (${cached.why}), and offline mode is on (${options.localFilesOnly ? 'localFilesOnly' : 'HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE'}): download it once online, e.g. igpt download ${repo}`,
      { reason: 'offline', repo, revision },
    );
  }
  if (isCommitHash(revision)) {
    // A commit never moves: a complete snapshot of it needs no request at all.
    const cached = await cachedSnapshot(cache, revision, options.prefer, options.limits);
    if (cached.snapshot !== undefined) return cached.snapshot;
  }
  return new Downloader(cache, revision, settings, options).run();
}

/** Either a complete snapshot or why there is none. */
type CachedAnswer = { snapshot: HubSnapshot; why?: undefined } | { snapshot?: undefined; why: string };

/**
 * The cached snapshot of `revision` when it is complete: `refs/{revision}` (or the commit itself)
 * names a snapshot with config.json and a whole set of weights (every shard its index names).
 */
async function cachedSnapshot(
  cache: HubCacheRepo,
  revision: string,
  prefer?: WeightFormat,
  limits?: Partial<FileLimits>,
): Promise<CachedAnswer> {
  const commit = await cache.resolveRevision(revision);
  if (commit === undefined) return { why: `no refs/${revision} and no snapshot for it` };
  const probe: ModelFileProbe = {
    has: (file) => cache.hasSnapshotFile(commit, file),
    read: (file) => readSnapshotFile(cache, commit, file, limits),
  };
  try {
    const chosen = await chooseModelFiles(probe, {
      repo: cache.repo,
      revision,
      ...(prefer ? { prefer } : {}),
    });
    return {
      snapshot: {
        repo: cache.repo,
        revision,
        commit,
        folder: cache.snapshotFolder(commit),
        files: chosen.files,
        downloadedBytes: 0,
        fromCache: true,
      },
    };
  } catch (e) {
    if (e instanceof HubError) return { why: `snapshot ${commit} is incomplete: ${e.message}` };
    throw e;
  }
}

/** One online download of one model: resolves the commit, then fetches what the cache lacks. */
class Downloader {
  #commit: string | undefined;
  #downloaded = 0;

  constructor(
    readonly cache: HubCacheRepo,
    readonly revision: string,
    readonly settings: HubSettings,
    readonly options: HubDownloadOptions,
  ) {}

  async run(): Promise<HubSnapshot> {
    const { cache, revision, options } = this;
    const repo = cache.repo;
    let first: Awaited<ReturnType<typeof fetchMetadata>>;
    try {
      first = await fetchMetadata(
        this.#url(revision, 'config.json'),
        this.#context('config.json', revision),
        this.settings.metadataTimeoutMs,
      );
    } catch (e) {
      if (!(e instanceof HubError) || !canFallBack(e)) throw e;
      const cached = await cachedSnapshot(cache, revision, options.prefer, options.limits);
      if (cached.snapshot === undefined) {
        throw new HubError(
          `${e.message.replace(/[.;]\s*$/, '')}; the hub cache has no complete snapshot of it either (${cached.why})`,
          {
            reason: e.reason,
            repo,
            revision,
            ...(e.status === undefined ? {} : { status: e.status }),
            ...(e.tokenSent === undefined ? {} : { tokenSent: e.tokenSent }),
          },
          { cause: e },
        );
      }
      const warn =
        options.onWarning ?? ((message: string) => process.emitWarning(message, { type: 'HubWarning' }));
      warn(
        `${e.message.replace(/[.;]\s*$/, '')}; using the cached snapshot ${cached.snapshot.commit} of ${repo}@${revision}`,
      );
      return cached.snapshot;
    }
    const probe: ModelFileProbe = {
      has: (file) => this.#has(file, file === 'config.json' ? first : undefined),
      read: (file) => readSnapshotFile(cache, this.#requireCommit(), file, options.limits),
    };
    const chosen = await chooseModelFiles(probe, {
      repo,
      revision,
      ...(options.prefer ? { prefer: options.prefer } : {}),
    });
    const commit = this.#requireCommit();
    return {
      repo,
      revision,
      commit,
      folder: cache.snapshotFolder(commit),
      files: chosen.files,
      downloadedBytes: this.#downloaded,
      fromCache: false,
    };
  }

  #requireCommit(): string {
    if (this.#commit === undefined) throw new Error('internal: commit not resolved yet');
    return this.#commit;
  }

  #url(revision: string, file: string): string {
    return hubFileUrl(this.settings.endpoint, this.cache.repo, revision, file);
  }

  #context(file: string, revision = this.#commit ?? this.revision): HubRequestContext {
    return {
      repo: this.cache.repo,
      revision,
      file,
      endpoint: this.settings.endpoint,
      ...(this.settings.token === undefined ? {} : { token: this.settings.token }),
    };
  }

  /** Whether the repo has `file` at the commit; fetches it into the cache when it does. */
  async #has(file: string, known?: Awaited<ReturnType<typeof fetchMetadata>>): Promise<boolean> {
    const { cache } = this;
    const commit = this.#commit;
    if (known === undefined && commit !== undefined) {
      // Pinned to a commit: what the cache knows about it is final.
      if (await cache.hasSnapshotFile(commit, file)) return true;
      if (await cache.isKnownMissing(commit, file)) return false;
    }
    const answer =
      known ??
      (await fetchMetadata(
        this.#url(commit ?? this.revision, file),
        this.#context(file),
        this.settings.metadataTimeoutMs,
      ));
    if (!answer.found) {
      const at = answer.commit ?? commit;
      if (at !== undefined && isCommitHash(at)) await cache.markMissing(at, file);
      return false;
    }
    const { meta } = answer;
    const context = this.#context(file);
    if (meta.commit === undefined || !isCommitHash(meta.commit)) {
      throw new HubError(
        `${cache.repo}: the answer for ${file} has no X-Repo-Commit header naming a commit; is ${this.settings.endpoint} a Hugging Face hub (check HF_ENDPOINT, proxies)?`,
        {
          reason: 'protocol',
          repo: cache.repo,
          file,
          revision: this.revision,
        },
      );
    }
    if (meta.etag === undefined || meta.size === undefined) {
      throw new HubError(
        `${cache.repo}: the answer for ${file} lacks ${meta.etag === undefined ? 'an ETag' : 'a size (X-Linked-Size or Content-Length)'}, so the download could not be checked`,
        {
          reason: 'protocol',
          repo: cache.repo,
          file,
          revision: this.revision,
        },
      );
    }
    if (this.#commit === undefined) {
      this.#commit = meta.commit;
      await cache.writeRef(this.revision, meta.commit).catch(() => {
        // As in huggingface_hub: a read-only cache still serves what it holds.
      });
    }
    const pinned = this.#requireCommit();
    if (await cache.hasSnapshotFile(pinned, file)) return true;
    // A size the hub announces is known before a byte is fetched: a JSON file larger than any
    // reader of it accepts is refused here, not after gigabytes land in the cache.
    const cap = maxReadBytes(file, fileLimits(this.options.limits));
    if (cap !== undefined && meta.size > cap)
      throw tooLarge(`${cache.repo}/${file}`, meta.size, cap, 'maxJsonBytes');
    const blob = cache.blobPath(meta.etag);
    if (!(await pathExists(blob))) {
      await mkdir(dirname(blob), { recursive: true });
      await withBlobLock(
        cache.lockPath(meta.etag),
        async () => {
          if (await pathExists(blob)) return; // another process fetched it while this one waited
          const incompletePath = `${blob}.incomplete`;
          const from =
            meta.location !== undefined && new URL(meta.location).origin !== new URL(answer.url).origin
              ? meta.location
              : answer.url;
          const size = meta.size as number;
          await downloadBlob(from, context, {
            incompletePath,
            expectedSize: size,
            etag: meta.etag as string,
            timeoutMs: this.settings.downloadTimeoutMs,
            ...(this.options.retryDelayMs === undefined ? {} : { retryDelayMs: this.options.retryDelayMs }),
            onProgress: (loaded, total) =>
              this.options.onProgress?.({ file, loaded, total, stage: 'download' }),
          });
          await rename(incompletePath, blob);
          this.#downloaded += size;
        },
        this.options.lockStaleMs === undefined ? {} : { staleMs: this.options.lockStaleMs },
      );
    }
    await cache.linkSnapshotFile(pinned, file, meta.etag);
    return true;
  }
}

/**
 * A file of a cached snapshot (an index `chooseModelFiles` reads), through the reading policy as
 * a model folder is read: a regular file, a link only into the repo's `blobs/`, at most its
 * kind's size.
 */
function readSnapshotFile(
  cache: HubCacheRepo,
  commit: string,
  file: string,
  limits: Partial<FileLimits> | undefined,
): Promise<Uint8Array> {
  const maxBytes = maxReadBytes(file, fileLimits(limits));
  return new NodeFileSource(cache.snapshotFolder(commit)).read(
    file,
    undefined,
    maxBytes === undefined ? {} : { maxBytes },
  );
}

/** Failures after which a complete cached snapshot is used instead, as huggingface_hub does. */
function canFallBack(error: HubError): boolean {
  return (
    error.reason === 'network' ||
    error.reason === 'unauthorized' ||
    error.reason === 'forbidden' ||
    (error.status !== undefined && error.status >= 500)
  );
}
