import { HubError } from './hub-error.js';

/** The public hub, used unless `HF_ENDPOINT` (Node) or the `endpoint` option names another. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** The revision used when none is given. */
export const DEFAULT_REVISION = 'main';

/** One part of a repo id, as huggingface_hub's validator allows it (letters, digits, `-`, `_`, `.`). */
const NAME = /^[A-Za-z0-9_.-]{1,96}$/;

/** A full commit id: what `snapshots/` folders and pinned revisions are named by. */
const COMMIT = /^[0-9a-f]{40}$/;

/** Control characters (C0, DEL, C1): never part of an id, a revision or a file name. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whether `value` has the shape of a hub repo id (`name` or `namespace/name`, each part letters,
 * digits, `-`, `_` or `.`, not starting or ending with `-` or `.`, no `--` or `..`, not ending in
 * `.git`), the rules huggingface_hub checks before any request.
 */
export function isRepoId(value: string): boolean {
  const parts = value.split('/');
  if (parts.length > 2 || value.includes('--') || value.includes('..') || value.endsWith('.git'))
    return false;
  return parts.every((part) => NAME.test(part) && !/^[-.]|[-.]$/.test(part));
}

/** Returns `repo` when it is a valid repo id (see {@link isRepoId}), else throws a {@link HubError}. */
export function checkRepoId(repo: string): string {
  if (typeof repo !== 'string' || !isRepoId(repo)) {
    throw new HubError(
      `${JSON.stringify(repo)} is not a hub repo id: expected "name" or "namespace/name" with letters, digits, "-", "_" or "." (no "..", "--" or control characters)`,
      { reason: 'invalid', ...(typeof repo === 'string' ? { repo } : {}) },
    );
  }
  return repo;
}

/**
 * Returns `revision` when it can name a branch, tag or commit (`main`, `v1.0`, `refs/pr/1`, a
 * 40-character commit id), else throws a {@link HubError}: no control characters, no `\`, no
 * empty, `.` or `..` segment, since it also names a file under the cache's `refs/`.
 */
export function checkRevision(revision: string, repo?: string): string {
  const bad =
    typeof revision !== 'string' ||
    revision.length === 0 ||
    revision.length > 256 ||
    CONTROL.test(revision) ||
    revision.includes('\\') ||
    revision.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) {
    throw new HubError(
      `revision ${JSON.stringify(revision)}${repo === undefined ? '' : ` of ${repo}`} is not a branch, tag or commit name (no "..", empty segments, "\\" or control characters)`,
      { reason: 'invalid', ...(repo === undefined ? {} : { repo }) },
    );
  }
  return revision;
}

/** Whether `revision` is a full commit id (40 lowercase hex digits), which never moves. */
export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

/**
 * The endpoint without its trailing `/`, when it is an http(s) URL (a path prefix, as mirrors
 * use, is kept); else a {@link HubError}.
 */
export function checkEndpoint(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol) || url.search !== '' || url.hash !== '') {
    throw new HubError(
      `hub endpoint ${JSON.stringify(endpoint)} is not an http(s) URL such as ${DEFAULT_HUB_ENDPOINT}`,
      { reason: 'invalid' },
    );
  }
  return endpoint.replace(/\/+$/, '');
}

/**
 * The cache folder name of a model repo, as huggingface_hub writes it: `models--{namespace}--{name}`.
 *
 * @example
 * repoFolderName('openai/imagegpt-small'); // 'models--openai--imagegpt-small'
 */
export function repoFolderName(repo: string): string {
  return ['models', ...checkRepoId(repo).split('/')].join('--');
}

/** `file` with each path segment percent-encoded, `/` kept. */
function encodePath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

/**
 * The URL of one file of a repo at a revision: `{endpoint}/{repo}/resolve/{revision}/{file}`, the
 * revision percent-encoded whole (so `refs/pr/1` becomes `refs%2Fpr%2F1`), as huggingface_hub does.
 */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${hubFolderUrl(endpoint, repo, revision)}${encodePath(file)}`;
}

/** The folder URL that a repo's files at `revision` live under, ending in `/`. */
export function hubFolderUrl(endpoint: string, repo: string, revision: string): string {
  return `${checkEndpoint(endpoint)}/${checkRepoId(repo)}/resolve/${encodeURIComponent(checkRevision(revision, repo))}/`;
}

/** The hub API URL that names the commit a revision points to: `{endpoint}/api/models/{repo}/revision/{revision}`. */
export function hubRevisionApiUrl(endpoint: string, repo: string, revision: string): string {
  return `${checkEndpoint(endpoint)}/api/models/${checkRepoId(repo)}/revision/${encodeURIComponent(checkRevision(revision, repo))}`;
}
