/** The header reading part of the `Headers` class, which both Node's fetch and browsers have. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/**
 * What the hub says about one file in the answer to a `HEAD` on its `resolve` URL (sent with
 * `Accept-Encoding: identity`, so sizes are of the bytes themselves).
 */
export interface HubFileMetadata {
  /** `X-Repo-Commit`: the commit the revision resolved to. */
  readonly commit?: string;
  /**
   * `X-Linked-Etag`, else `ETag`, without quotes or `W/`: the sha256 of a large (LFS) file, the
   * git blob id of a small one. Names the file's blob in the cache.
   */
  readonly etag?: string;
  /** `X-Linked-Size`, else `Content-Length` of a non-redirect answer: the file's size in bytes. */
  readonly size?: number;
  /** `Location` of a redirect (a large file on another host), resolved against the request URL. */
  readonly location?: string;
}

/** `"abc"` or `W/"abc"` → `abc`, as huggingface_hub's `_normalize_etag` does. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  const value = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return value === '' ? undefined : value;
}

/** Whether an ETag is a sha256 (64 hex digits): a large file, whose bytes the downloader hashes. */
export function isSha256Etag(etag: string): boolean {
  return /^[0-9a-f]{64}$/.test(etag);
}

/** A header that must hold a byte count, or undefined when absent or not a count. */
function byteCount(value: string | null): number | undefined {
  if (value === null || !/^\d{1,16}$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The {@link HubFileMetadata} of one answer (`status` 2xx or 3xx) to a `HEAD` on `requestUrl`.
 *
 * @example
 * const meta = readFileMetadata(response.headers, response.status, url);
 * if (meta.commit === undefined) throw new Error('not a hub');
 */
export function readFileMetadata(headers: HeaderLookup, status: number, requestUrl: string): HubFileMetadata {
  const redirect = status >= 300 && status < 400;
  const commit = headers.get('X-Repo-Commit')?.trim();
  const etag = normalizeEtag(headers.get('X-Linked-Etag') ?? headers.get('ETag'));
  const size =
    byteCount(headers.get('X-Linked-Size')) ??
    (redirect ? undefined : byteCount(headers.get('Content-Length')));
  const location = headers.get('Location');
  let resolved: string | undefined;
  if (redirect && location !== null) {
    try {
      resolved = new URL(location, requestUrl).href;
    } catch {
      resolved = undefined;
    }
  }
  return {
    ...(commit ? { commit } : {}),
    ...(etag === undefined ? {} : { etag }),
    ...(size === undefined ? {} : { size }),
    ...(resolved === undefined ? {} : { location: resolved }),
  };
}
