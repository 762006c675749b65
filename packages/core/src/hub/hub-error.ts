/**
 * Why a hub request failed: what the user can do differs for each, so programs can branch on it.
 *
 * - `invalid`: a repo id, revision, endpoint or file name that cannot be sent (checked before any request);
 * - `not-found`: the repository, revision or file does not exist (or is private and no token was sent);
 * - `unauthorized` / `forbidden`: HTTP 401 / 403;
 * - `offline`: offline mode (or a network failure) and the cache does not hold what is needed;
 * - `network`: the connection failed, stalled or broke off after every retry;
 * - `integrity`: the bytes do not match the size or sha256 the hub announced;
 * - `protocol`: the server's answer is not what the hub protocol says (no commit, no ETag, a redirect loop);
 * - `cache`: the cache folder cannot be used.
 */
export type HubErrorReason =
  | 'invalid'
  | 'not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'offline'
  | 'network'
  | 'integrity'
  | 'protocol'
  | 'cache';

/** What a {@link HubError} knows about the fault. */
export interface HubErrorDetails {
  /** Why it failed. */
  readonly reason: HubErrorReason;
  /** The repository id, e.g. `openai/imagegpt-small`. */
  readonly repo?: string;
  /** The file within the repository, when one file is at fault. */
  readonly file?: string;
  /** The revision asked for (branch, tag or commit). */
  readonly revision?: string;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  /** Whether an `Authorization` header was sent with the failed request. */
  readonly tokenSent?: boolean;
  /** The URL that failed, when there was a request. */
  readonly url?: string;
}

/**
 * Thrown when a model cannot be had from the Hugging Face hub (or a server that speaks its
 * protocol) or from the hub cache: the message is one sentence naming the repository, file and
 * revision, whether a token was sent, and what to do; the same facts are properties.
 *
 * @example
 * try { await ImageGPTForCausalImageModeling.fromPretrained('openai/imagegpt-smal'); }
 * catch (e) { if (e instanceof HubError && e.reason === 'not-found') console.log(`check ${e.repo}`); }
 */
export class HubError extends Error {
  override readonly name = 'HubError';
  /** Why it failed. */
  readonly reason: HubErrorReason;
  /** The repository id, when known. */
  readonly repo?: string;
  /** The file at fault, when one is. */
  readonly file?: string;
  /** The revision asked for, when known. */
  readonly revision?: string;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
  /** Whether a token was sent with the failed request. */
  readonly tokenSent?: boolean;
  /** The URL that failed, when there was a request. */
  readonly url?: string;

  constructor(message: string, details: HubErrorDetails, options?: ErrorOptions) {
    super(message, options);
    this.reason = details.reason;
    if (details.repo !== undefined) this.repo = details.repo;
    if (details.file !== undefined) this.file = details.file;
    if (details.revision !== undefined) this.revision = details.revision;
    if (details.status !== undefined) this.status = details.status;
    if (details.tokenSent !== undefined) this.tokenSent = details.tokenSent;
    if (details.url !== undefined) this.url = details.url;
  }
}

/** The facts {@link hubHttpError} words its sentence from. */
export interface HubHttpFailure {
  readonly status: number;
  /** The hub's `X-Error-Code` header (`RepoNotFound`, `RevisionNotFound`, `EntryNotFound`, `GatedRepo`). */
  readonly errorCode?: string | null;
  readonly repo: string;
  readonly revision: string;
  readonly file?: string;
  readonly endpoint: string;
  readonly tokenSent: boolean;
  readonly url?: string;
}

/**
 * The {@link HubError} for a refused hub request, as one sentence: what was not found or not
 * allowed, whether a token was sent, and what to do about it.
 */
export function hubHttpError(failure: HubHttpFailure): HubError {
  const { status, errorCode, repo, revision, file, endpoint, tokenSent } = failure;
  const token = tokenSent ? 'a token was sent' : 'no token was sent';
  const where = `${repo} on ${endpoint}`;
  const details: HubErrorDetails = {
    reason: 'not-found',
    repo,
    revision,
    status,
    tokenSent,
    ...(file === undefined ? {} : { file }),
    ...(failure.url === undefined ? {} : { url: failure.url }),
  };
  const setToken = tokenSent
    ? 'check that your token (the token option, HF_TOKEN or the token file) can read it'
    : 'if it is private or gated, set HF_TOKEN or pass a token';
  if (errorCode === 'GatedRepo' || status === 403) {
    return new HubError(
      `${where} refused access (HTTP ${status}, ${token}): ${
        tokenSent
          ? 'use a token that can read this repository (for a gated one, accept its terms on the hub first)'
          : 'it needs a token: set HF_TOKEN or pass a token that can read it'
      }`,
      { ...details, reason: 'forbidden' },
    );
  }
  if (status === 401) {
    return new HubError(
      `${where} needs authorisation (HTTP 401, ${token}): check the repository id; ${setToken}`,
      { ...details, reason: 'unauthorized' },
    );
  }
  if (errorCode === 'RevisionNotFound') {
    return new HubError(
      `revision "${revision}" was not found in ${where} (HTTP ${status}, ${token}): check the branch, tag or commit`,
      details,
    );
  }
  if (errorCode === 'EntryNotFound' && file !== undefined) {
    return new HubError(
      `${file} was not found in ${where} at revision "${revision}" (HTTP ${status}, ${token}): is it an ImageGPT model repository?`,
      details,
    );
  }
  if (status === 404 || errorCode === 'RepoNotFound') {
    return new HubError(
      `repository ${where} was not found (HTTP ${status}${file === undefined ? '' : ` for ${file}`}, ${token}): check the id; ${setToken}`,
      details,
    );
  }
  return new HubError(
    `${where} answered HTTP ${status} for ${file ?? 'the repository'} at revision "${revision}" (${token}): try again later`,
    { ...details, reason: status >= 500 ? 'network' : 'protocol' },
  );
}
