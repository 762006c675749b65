import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat, truncate } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HubError,
  type HubFileMetadata,
  hubHttpError,
  isSha256Etag,
  readFileMetadata,
} from '@imagegpt/core/hub';

/** Redirects followed for one request before it is refused as a loop. */
export const MAX_REDIRECTS = 10;
/** Consecutive tries without a new byte before a download gives up (huggingface_hub's 5). */
export const MAX_TRIES = 5;

/** Who is asking, for messages and for whom the token may be sent. */
export interface HubRequestContext {
  readonly repo: string;
  readonly revision: string;
  readonly file: string;
  /** The hub's base URL; only its origin ever gets the token. */
  readonly endpoint: string;
  readonly token?: string;
}

/** The answer to a metadata request: the file is there (with its metadata), or the repo lacks it. */
export type MetadataAnswer =
  | {
      readonly found: true;
      readonly meta: HubFileMetadata;
      readonly url: string;
      readonly tokenSent: boolean;
    }
  | { readonly found: false; readonly commit?: string };

const USER_AGENT = `imagegpt-ts; node/${process.versions.node}`;

/** The request headers for `url`: the token only when `url` is on the hub's own origin. */
function headersFor(url: string, context: HubRequestContext, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...extra };
  const sendToken = context.token !== undefined && new URL(url).origin === new URL(context.endpoint).origin;
  if (sendToken) headers.Authorization = `Bearer ${context.token}`;
  return { headers, tokenSent: sendToken };
}

/** A {@link HubError} for a request that got no answer (refused connection, timeout, reset). */
export function networkError(
  url: string,
  context: HubRequestContext,
  cause: unknown,
  what = 'request failed',
): HubError {
  const detail = describeCause(cause);
  return new HubError(
    `${context.repo}: ${what} for ${context.file} at ${url} (${detail}); check the connection or HF_ENDPOINT, or use the cache with HF_HUB_OFFLINE=1`,
    { reason: 'network', repo: context.repo, file: context.file, revision: context.revision, url },
    { cause },
  );
}

function describeCause(cause: unknown): string {
  const e = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(cause);
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * `HEAD {url}` as huggingface_hub's `get_hf_file_metadata` sends it: `Accept-Encoding: identity`
 * (so sizes are true), redirects on the hub's own origin followed (a renamed repo), a redirect to
 * another host (a large file's storage) returned as the file's location without following it.
 * A 404 for a file the repo lacks is an answer (`found: false`, with the commit when the hub
 * says it); any other refusal is a {@link HubError} in one sentence.
 */
export async function fetchMetadata(
  url: string,
  context: HubRequestContext,
  timeoutMs: number,
): Promise<MetadataAnswer> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const { headers, tokenSent } = headersFor(current, context, { 'Accept-Encoding': 'identity' });
    let response: Response;
    try {
      response = await fetch(current, {
        method: 'HEAD',
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw networkError(current, context, e);
    }
    const { status } = response;
    if (isRedirect(status)) {
      const meta = readFileMetadata(response.headers, status, current);
      if (meta.location === undefined)
        throw protocolError(context, current, `a ${status} redirect without a usable Location`);
      if (new URL(meta.location).origin === new URL(current).origin) {
        current = meta.location;
        continue;
      }
      return { found: true, meta, url: current, tokenSent };
    }
    if (status >= 200 && status < 300)
      return {
        found: true,
        meta: readFileMetadata(response.headers, status, current),
        url: current,
        tokenSent,
      };
    const errorCode = response.headers.get('X-Error-Code');
    if (status === 404 && (errorCode === null || errorCode === 'EntryNotFound')) {
      const commit = response.headers.get('X-Repo-Commit')?.trim();
      return { found: false, ...(commit ? { commit } : {}) };
    }
    throw hubHttpError({
      status,
      errorCode,
      repo: context.repo,
      revision: context.revision,
      file: context.file,
      endpoint: context.endpoint,
      tokenSent,
      url: current,
    });
  }
  throw protocolError(context, url, `more than ${MAX_REDIRECTS} redirects (a redirect loop)`);
}

function protocolError(context: HubRequestContext, url: string, what: string): HubError {
  return new HubError(
    `${context.repo}: the server answered ${context.file} with ${what}; is ${context.endpoint} a Hugging Face hub?`,
    {
      reason: 'protocol',
      repo: context.repo,
      file: context.file,
      revision: context.revision,
      url,
    },
  );
}

/** What {@link downloadBlob} needs besides the request context. */
export interface DownloadOptions {
  /** Where the bytes go: `blobs/{etag}.incomplete`, resumed from its length when it exists. */
  readonly incompletePath: string;
  /** The size the hub announced; the download must end at exactly this many bytes. */
  readonly expectedSize: number;
  /** The blob's ETag: a sha256 (large files) is checked against the bytes. */
  readonly etag: string;
  /** Milliseconds without a byte before the request is dropped and resumed. */
  readonly timeoutMs: number;
  /** Called as bytes arrive, with the bytes on disk so far. */
  readonly onProgress?: (loaded: number, total: number) => void;
  /** Pause between tries (huggingface_hub waits 1 s); default 1000 ms. */
  readonly retryDelayMs?: number;
}

/** A try that ended early but may be resumed. */
class RetryableError extends Error {}

/**
 * Downloads `url` into `options.incompletePath`, resuming with `Range` from what is already there
 * (left by an earlier run of this library or of Python's huggingface_hub), following redirects
 * itself (at most 10, the token dropped on any other origin than the hub's). A stall of
 * `timeoutMs`, a dropped connection or a 5xx/408/429 answer is retried from the bytes on disk, up
 * to {@link MAX_TRIES} tries in a row that bring no new byte. The finished file must have the
 * announced size and, for a large file, the sha256 its ETag names; otherwise it is deleted and a
 * {@link HubError} (`integrity`) says so.
 */
export async function downloadBlob(
  url: string,
  context: HubRequestContext,
  options: DownloadOptions,
): Promise<void> {
  const { incompletePath, expectedSize } = options;
  let failures = 0;
  let lastError: unknown;
  for (;;) {
    const before = await sizeOf(incompletePath);
    if (before > expectedSize) await truncate(incompletePath, 0);
    else if (before === expectedSize) break;
    try {
      await downloadOnce(url, context, options);
      break;
    } catch (e) {
      if (e instanceof HubError && e.reason === 'integrity') await rm(incompletePath, { force: true });
      if (!(e instanceof RetryableError)) throw e;
      lastError = e.cause ?? e;
      failures = (await sizeOf(incompletePath)) > before ? 1 : failures + 1;
      if (failures >= MAX_TRIES) {
        throw networkError(
          url,
          context,
          lastError,
          `download stopped at ${await sizeOf(incompletePath)} of ${expectedSize} bytes after ${MAX_TRIES} tries without progress`,
        );
      }
      await sleep(options.retryDelayMs ?? 1000);
    }
  }
  await verifyBlob(incompletePath, context, options);
}

/** One GET from the bytes on disk to the end (or until it fails). */
async function downloadOnce(
  url: string,
  context: HubRequestContext,
  options: DownloadOptions,
): Promise<void> {
  const { incompletePath, expectedSize, timeoutMs } = options;
  const resume = await sizeOf(incompletePath);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no byte for ${timeoutMs / 1000} s`)), timeoutMs);
  };
  arm();
  try {
    let current = url;
    let response: Response | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const { headers } = headersFor(current, context, resume > 0 ? { Range: `bytes=${resume}-` } : {});
      try {
        response = await fetch(current, { headers, redirect: 'manual', signal: controller.signal });
      } catch (e) {
        throw new RetryableError('request failed', { cause: e });
      }
      if (!isRedirect(response.status)) break;
      const location = response.headers.get('Location');
      await response.body?.cancel();
      if (location === null)
        throw protocolError(context, current, `a ${response.status} redirect without a Location`);
      current = new URL(location, current).href;
      response = undefined;
    }
    if (response === undefined)
      throw protocolError(context, url, `more than ${MAX_REDIRECTS} redirects (a redirect loop)`);
    const { status } = response;
    if (status === 408 || status === 429 || status >= 500) {
      await response.body?.cancel();
      throw new RetryableError(`HTTP ${status}`);
    }
    if (status === 416) {
      // The range starts at or past the server's end: the file is shorter than the size announced.
      await response.body?.cancel();
      await rm(incompletePath, { force: true });
      throw integrityError(
        context,
        `has fewer than the ${expectedSize} bytes it announced (HTTP 416 for bytes ${resume}-)`,
      );
    }
    if (status !== 200 && status !== 206) {
      await response.body?.cancel();
      throw hubHttpError({
        status,
        errorCode: response.headers.get('X-Error-Code'),
        repo: context.repo,
        revision: context.revision,
        file: context.file,
        endpoint: context.endpoint,
        tokenSent: headersFor(current, context).tokenSent,
        url: current,
      });
    }
    let offset = resume;
    if (status === 206) {
      const start = /^bytes (\d+)-/.exec(response.headers.get('Content-Range') ?? '')?.[1];
      if (start === undefined || Number(start) !== resume) {
        await response.body?.cancel();
        await truncate(incompletePath, 0);
        throw new RetryableError(`a 206 answer for bytes ${start ?? '?'}- when ${resume}- was asked for`);
      }
    } else {
      // A server that ignores Range sends the whole file again: start over rather than append it.
      offset = 0;
    }
    const handle = await open(incompletePath, offset === 0 ? 'w' : 'r+');
    try {
      if (response.body === null) throw new RetryableError('no body');
      arm();
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        if (offset + chunk.length > expectedSize) {
          throw integrityError(context, `sent more than the ${expectedSize} bytes it announced`);
        }
        await handle.write(chunk, 0, chunk.length, offset);
        offset += chunk.length;
        arm();
        options.onProgress?.(offset, expectedSize);
      }
    } catch (e) {
      if (e instanceof HubError || e instanceof RetryableError) throw e;
      throw new RetryableError('download broke off', {
        cause: controller.signal.aborted ? controller.signal.reason : e,
      });
    } finally {
      await handle.close();
    }
    if (offset < expectedSize)
      throw new RetryableError(`the answer ended at byte ${offset} of ${expectedSize}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the finished download's size and, for a sha256 ETag, its hash; deletes it when wrong. */
async function verifyBlob(path: string, context: HubRequestContext, options: DownloadOptions): Promise<void> {
  const size = await sizeOf(path);
  if (size !== options.expectedSize) {
    await rm(path, { force: true });
    throw integrityError(context, `gave ${size} bytes where ${options.expectedSize} were announced`);
  }
  if (!isSha256Etag(options.etag)) return;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  if (digest !== options.etag) {
    await rm(path, { force: true });
    throw integrityError(
      context,
      `gave bytes whose sha256 is ${digest}, not the ${options.etag} its ETag names`,
    );
  }
}

function integrityError(context: HubRequestContext, what: string): HubError {
  return new HubError(
    `${context.repo}: the server ${what} for ${context.file}, so the download was discarded; try again, and report it if it persists`,
    { reason: 'integrity', repo: context.repo, file: context.file, revision: context.revision },
  );
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (info) => info.size,
    () => 0,
  );
}
