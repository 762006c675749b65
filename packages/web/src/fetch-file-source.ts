import { FilePolicyError, type FileReadOptions, type FileSource } from '@imagegpt/core';
import { WebError } from './web-error.js';

/** Options of {@link FetchFileSource}. */
export interface FetchFileSourceOptions {
  /**
   * Keep downloaded files in the Cache API (where the page has it: secure contexts, http(s) URLs) so
   * a reload does not download the weights again. `true` (default) uses the cache named
   * {@link DEFAULT_CACHE_NAME}; a string names another cache; `false` turns caching off.
   */
  cache?: boolean | string;
  /** The `fetch` to use (a wrapper that adds auth headers, a mock in tests); the global one by default. */
  fetch?: typeof fetch;
  /** Extra request headers, e.g. `{ Authorization: 'Bearer …' }` for a private Hugging Face repo. */
  headers?: Record<string, string>;
}

/** The Cache API cache that {@link FetchFileSource} uses unless told otherwise. */
export const DEFAULT_CACHE_NAME = 'imagegpt-files-v1';

type Progress = (loaded: number, total: number | undefined) => void;

/**
 * A {@link FileSource} over a base URL: a Hugging Face model folder served over HTTP, such as
 * `https://huggingface.co/openai/imagegpt-small/resolve/main/` or a folder of the site itself.
 *
 * Files are fetched with `fetch`, progress comes from `Content-Length`, responses are kept in the
 * Cache API when available, and a failed request throws a {@link WebError} naming the URL and the
 * HTTP status. Paths resolve inside the base URL only.
 *
 * @example
 * ```ts
 * const files = new FetchFileSource('/models/igpt-mnist-16/');
 * const model = await ImageGPTForCausalImageModeling.fromSource(files, { backend });
 * ```
 */
export class FetchFileSource implements FileSource {
  /** The base URL, always ending in `/`. */
  readonly location: string;
  readonly #fetch: typeof fetch;
  readonly #cacheName: string | undefined;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string | URL, options: FetchFileSourceOptions = {}) {
    let base: URL;
    try {
      base = new URL(String(baseUrl), pageUrl());
    } catch (e) {
      throw new WebError(
        `FetchFileSource: ${String(baseUrl)} is not a URL (a relative one needs a page to resolve against)`,
        {},
        { cause: e },
      );
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.location = base.href;
    const f = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (f === undefined)
      throw new WebError('FetchFileSource: this environment has no fetch; pass options.fetch');
    // A bare global fetch must be called with globalThis as `this`.
    this.#fetch = options.fetch ?? f.bind(globalThis);
    const cache = options.cache ?? true;
    this.#cacheName = cache === false ? undefined : cache === true ? DEFAULT_CACHE_NAME : cache;
    this.#headers = { ...options.headers };
  }

  /** The absolute URL of `path`, refusing anything that would leave the base URL. */
  url(path: string): string {
    const url = new URL(path, this.location);
    if (url.origin !== new URL(this.location).origin || !url.href.startsWith(this.location)) {
      throw new WebError(`${path}: refusing a path outside the model folder ${this.location}`, {
        url: url.href,
      });
    }
    return url.href;
  }

  async exists(path: string): Promise<boolean> {
    const url = this.url(path);
    if ((await this.#cached(url)) !== undefined) return true;
    let response: Response;
    try {
      response = await this.#fetch(url, { method: 'HEAD', headers: this.#headers });
      // Some static hosts answer HEAD with 405; ask for the first byte instead.
      if (response.status === 405 || response.status === 501) {
        response = await this.#fetch(url, { headers: { ...this.#headers, Range: 'bytes=0-0' } });
        await response.body?.cancel();
      }
    } catch (e) {
      throw new WebError(`HEAD ${url}: request failed (${reason(e)})`, { url }, { cause: e });
    }
    if (response.ok) return true;
    if (response.status === 404 || response.status === 410) return false;
    throw new WebError(`HEAD ${url}: HTTP ${response.status} ${response.statusText}`.trim(), {
      url,
      status: response.status,
    });
  }

  /**
   * The whole file. With `options.maxBytes`, a response whose `Content-Length` says more is
   * refused before its body is read, and a body that runs past it is cancelled at that point (a
   * `FilePolicyError`), so an endless or huge response never fills memory.
   */
  async read(path: string, onProgress?: Progress, options: FileReadOptions = {}): Promise<Uint8Array> {
    const url = this.url(path);
    const hit = await this.#cached(url);
    if (hit !== undefined) {
      const bytes = await readBody(url, hit, undefined, options.maxBytes);
      onProgress?.(bytes.length, bytes.length);
      return bytes;
    }
    let response: Response;
    try {
      response = await this.#fetch(url, { headers: this.#headers });
    } catch (e) {
      throw new WebError(`GET ${url}: request failed (${reason(e)})`, { url }, { cause: e });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new WebError(`GET ${url}: HTTP ${response.status} ${response.statusText}`.trim(), {
        url,
        status: response.status,
      });
    }
    const bytes = await readBody(url, response, onProgress, options.maxBytes);
    await this.#store(url, response, bytes);
    return bytes;
  }

  async #cache(): Promise<Cache | undefined> {
    if (this.#cacheName === undefined) return undefined;
    const storage = (globalThis as { caches?: CacheStorage }).caches;
    if (storage === undefined) return undefined;
    try {
      return await storage.open(this.#cacheName);
    } catch {
      // Opaque origins and some private modes refuse the Cache API; downloading still works.
      return undefined;
    }
  }

  async #cached(url: string): Promise<Response | undefined> {
    if (!/^https?:/.test(url)) return undefined;
    return (await this.#cache())?.match(url);
  }

  async #store(url: string, response: Response, bytes: Uint8Array): Promise<void> {
    if (!/^https?:/.test(url)) return;
    const cache = await this.#cache();
    if (cache === undefined) return;
    const headers: Record<string, string> = { 'Content-Length': String(bytes.length) };
    const type = response.headers.get('Content-Type');
    if (type !== null) headers['Content-Type'] = type;
    try {
      await cache.put(url, new Response(bytes.slice(), { status: 200, headers }));
    } catch {
      // A full quota only costs the next visit a download.
    }
  }
}

/**
 * Reads a response body, reporting progress; `Content-Length` sizes the buffer when trustworthy.
 * Past `maxBytes` (declared or arriving) the body is cancelled and a FilePolicyError thrown.
 * Shared with the hub's revision lookup; not at the package root.
 */
export async function readBody(
  url: string,
  response: Response,
  onProgress: Progress | undefined,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  const header = response.headers.get('Content-Length');
  // With Content-Encoding the header counts compressed bytes, not the bytes the stream yields.
  const encoded = (response.headers.get('Content-Encoding') ?? 'identity') !== 'identity';
  const declared = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const total = encoded ? undefined : declared;
  const tooLarge = (size: number) =>
    new FilePolicyError(`${size} bytes, more than the ${maxBytes} its reader accepts`, {
      file: url,
      rule: 'size',
      limit: maxBytes,
      size,
    });
  if (total !== undefined && total > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(total);
  }
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge(bytes.length);
    onProgress?.(bytes.length, total ?? bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (loaded > maxBytes) {
        await reader.cancel();
        throw tooLarge(loaded);
      }
      onProgress?.(loaded, total);
    }
  } catch (e) {
    if (e instanceof FilePolicyError) throw e;
    throw new WebError(
      `GET ${url}: download broke off after ${loaded} bytes (${reason(e)})`,
      { url },
      { cause: e },
    );
  }
  if (total !== undefined && loaded !== total) {
    throw new WebError(`GET ${url}: got ${loaded} bytes, Content-Length said ${total}`, {
      url,
      status: response.status,
    });
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** The document's (or worker's) URL, so relative base URLs work; undefined outside a page. */
function pageUrl(): string | undefined {
  const location = (globalThis as { location?: { href?: string } }).location;
  return location?.href;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
