import { JsonReader } from '@imagegpt/config/json';
import { type FileLimits, FilePolicyError } from '@imagegpt/core';
import {
  checkRepoId,
  checkRevision,
  DEFAULT_HUB_ENDPOINT,
  DEFAULT_REVISION,
  HubError,
  hubFileUrl,
  hubFolderUrl,
  hubHttpError,
  hubRevisionApiUrl,
  isCommitHash,
  isRepoId,
} from '@imagegpt/core/hub';
import { fileLimits } from '@imagegpt/core/io';
import { DEFAULT_CACHE_NAME, readBody } from './fetch-file-source.js';

/** Where and how a browser fetches a hub model. */
export interface WebHubOptions {
  /** Branch, tag or commit; default `main`. Pin a commit: its URLs never change, so they cache forever. */
  readonly revision?: string;
  /** A token for private or gated repos, sent as `Authorization: Bearer …` to the endpoint only. */
  readonly token?: string;
  /** The hub's base URL; default https://huggingface.co. */
  readonly endpoint?: string;
  /** The `fetch` to use; the global one by default. */
  readonly fetch?: typeof fetch;
  /** The Cache API cache that also remembers which commit a branch pointed to; `false` for none. */
  readonly cache?: boolean | string;
  /**
   * The reading policy's limits: the revision API's answer is JSON, read as a model's JSON files
   * are (at most `maxJsonBytes`, in one pass); see `DEFAULT_FILE_LIMITS`.
   */
  readonly limits?: Partial<FileLimits>;
}

/** A hub model's folder URL at a fixed commit. */
export interface WebHubFolder {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  /** `{endpoint}/{repo}/resolve/{commit}/`: a folder for `FetchFileSource`. */
  readonly url: string;
}

/**
 * Whether `name` given to the web `fromPretrained` is a hub repo id (`org/name`, `name`) rather than
 * a URL: it has a repo id's shape and no URL syntax (no scheme, no leading `/` or `.`, no trailing
 * `/`). A folder of the page's own site is written `/models/x/` or `./x/`.
 */
export function isHubName(name: string | URL): name is string {
  return typeof name === 'string' && isRepoId(name) && !name.startsWith('.');
}

/**
 * The folder URL of a hub model at the commit its revision points to. A commit needs no request; a
 * branch or tag is resolved from `X-Repo-Commit` of a `HEAD` on its config.json, or else from
 * `/api/models/{repo}/revision/{revision}`, and remembered in the Cache API so a page offline can
 * still find the commit whose files it cached.
 */
export async function resolveHubFolder(repo: string, options: WebHubOptions = {}): Promise<WebHubFolder> {
  checkRepoId(repo);
  const revision = checkRevision(options.revision ?? DEFAULT_REVISION, repo);
  const endpoint = options.endpoint ?? DEFAULT_HUB_ENDPOINT;
  const folder = (commit: string): WebHubFolder => ({
    repo,
    revision,
    commit,
    url: hubFolderUrl(endpoint, repo, commit),
  });
  if (isCommitHash(revision)) return folder(revision);
  const f = options.fetch ?? globalThis.fetch.bind(globalThis);
  const headers: Record<string, string> =
    options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` };
  const apiUrl = hubRevisionApiUrl(endpoint, repo, revision);
  const cacheName =
    options.cache === false
      ? undefined
      : typeof options.cache === 'string'
        ? options.cache
        : DEFAULT_CACHE_NAME;
  const fail = (status: number, errorCode: string | null, url: string) =>
    hubHttpError({
      status,
      errorCode,
      repo,
      revision,
      file: 'config.json',
      endpoint,
      tokenSent: options.token !== undefined,
      url,
    });

  let commit: string | undefined;
  try {
    const url = hubFileUrl(endpoint, repo, revision, 'config.json');
    const head = await f(url, { method: 'HEAD', headers });
    if (!head.ok) throw fail(head.status, head.headers.get('X-Error-Code'), url);
    commit = head.headers.get('X-Repo-Commit')?.trim() || undefined;
    if (commit === undefined) {
      // A server that does not expose X-Repo-Commit to the page still answers the revision API.
      const api = await f(apiUrl, { headers });
      if (!api.ok) throw fail(api.status, api.headers.get('X-Error-Code'), apiUrl);
      commit = await readSha(apiUrl, api, fileLimits(options.limits).maxJsonBytes);
    }
  } catch (e) {
    // The hub's refusals and the reading policy's are answers, not a missing network.
    if (e instanceof HubError || e instanceof FilePolicyError) throw e;
    // No network: the commit this revision had when its files were cached, if any.
    const remembered = await rememberedCommit(cacheName, apiUrl);
    if (remembered !== undefined) return folder(remembered);
    throw new HubError(
      `${repo}: could not reach ${endpoint} to resolve revision "${revision}" (${(e as Error).message}), and no cached download remembers it; pin a commit to load cached files offline`,
      { reason: 'network', repo, revision },
      { cause: e },
    );
  }
  if (commit === undefined || !isCommitHash(commit)) {
    throw new HubError(
      `${repo}: ${endpoint} named no commit for revision "${revision}" (no X-Repo-Commit, no sha): is it a Hugging Face hub?`,
      {
        reason: 'protocol',
        repo,
        revision,
      },
    );
  }
  await remember(cacheName, apiUrl, commit);
  return folder(commit);
}

/**
 * The `sha` of a revision API answer: the body read up to `maxBytes` (a server that announces or
 * streams more is cut off), then one pass over its JSON that builds nothing but that string (the
 * answer also lists the repo's files, which a hostile server could make millions of values).
 */
async function readSha(url: string, response: Response, maxBytes: number): Promise<string | undefined> {
  const text = new TextDecoder().decode(await readBody(url, response, undefined, maxBytes));
  const notJson = (message: string, offset: number) =>
    new HubError(
      `${url}: the revision API answered with no JSON object (${message} at character ${offset})`,
      {
        reason: 'protocol',
      },
    );
  const reader = new JsonReader(text, { fail: notJson });
  if (reader.peek() !== 'object') return undefined;
  let sha: string | undefined;
  reader.readObject((key) => {
    if (key === 'sha' && reader.peek() === 'string') sha = reader.readString();
  });
  reader.end();
  return sha;
}

async function openCache(name: string | undefined): Promise<Cache | undefined> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (name === undefined || storage === undefined) return undefined;
  try {
    return await storage.open(name);
  } catch {
    return undefined; // opaque origins and some private modes refuse the Cache API
  }
}

async function remember(cacheName: string | undefined, apiUrl: string, commit: string): Promise<void> {
  const cache = await openCache(cacheName);
  try {
    await cache?.put(
      apiUrl,
      new Response(JSON.stringify({ sha: commit }), { headers: { 'Content-Type': 'application/json' } }),
    );
  } catch {
    // A full quota only costs an offline visit the commit.
  }
}

async function rememberedCommit(cacheName: string | undefined, apiUrl: string): Promise<string | undefined> {
  const hit = await (await openCache(cacheName))?.match(apiUrl);
  // Written by remember() above: a few bytes; anything larger is not this library's.
  const sha = hit === undefined ? undefined : await readSha(apiUrl, hit, 4096).catch(() => undefined);
  return typeof sha === 'string' && isCommitHash(sha) ? sha : undefined;
}
