import { FilePolicyError } from '@imagegpt/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FetchFileSource } from './fetch-file-source.js';
import { WebError } from './web-error.js';

const BASE = 'https://models.example/igpt/';

/** A fake server: path → body, with request counting. */
function server(
  files: Record<string, Uint8Array | string>,
  options: { head405?: boolean; chunk?: number; lie?: number } = {},
) {
  const calls: { method: string; url: string }[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    calls.push({ method, url });
    const path = url.slice(BASE.length);
    const file = files[path];
    if (method === 'HEAD' && options.head405)
      return new Response(null, { status: 405, statusText: 'Method Not Allowed' });
    if (file === undefined) return new Response('nope', { status: 404, statusText: 'Not Found' });
    const bytes = typeof file === 'string' ? new TextEncoder().encode(file) : file;
    if (method === 'HEAD')
      return new Response(null, { status: 200, headers: { 'Content-Length': String(bytes.length) } });
    const chunk = options.chunk ?? bytes.length;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += chunk) controller.enqueue(bytes.slice(i, i + chunk));
        controller.close();
      },
    });
    return new Response(body, {
      status: 200,
      headers: { 'Content-Length': String(options.lie ?? bytes.length) },
    });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

afterEach(() => vi.unstubAllGlobals());

describe('FetchFileSource', () => {
  it('reads a file in chunks and reports progress against Content-Length', async () => {
    const data = Uint8Array.from({ length: 10 }, (_, i) => i * 3);
    const { fetchImpl } = server({ 'model.safetensors': data }, { chunk: 4 });
    const files = new FetchFileSource(BASE, { fetch: fetchImpl, cache: false });
    const seen: [number, number | undefined][] = [];
    const got = await files.read('model.safetensors', (loaded, total) => seen.push([loaded, total]));
    expect([...got]).toEqual([...data]);
    expect(seen).toEqual([
      [4, 10],
      [8, 10],
      [10, 10],
    ]);
  });

  it('adds the trailing slash to the base URL and resolves paths inside it', () => {
    const files = new FetchFileSource('https://models.example/igpt', { fetch: server({}).fetchImpl });
    expect(files.location).toBe(BASE);
    expect(files.url('sub/config.json')).toBe(`${BASE}sub/config.json`);
    expect(() => files.url('../secret.json')).toThrow(/refusing a path outside the model folder/);
    expect(() => files.url('https://evil.example/x')).toThrow(WebError);
  });

  it('names the URL and HTTP status when a download fails', async () => {
    const files = new FetchFileSource(BASE, { fetch: server({}).fetchImpl, cache: false });
    const error = await files.read('pytorch_model.bin').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebError);
    expect((error as WebError).message).toBe(`GET ${BASE}pytorch_model.bin: HTTP 404 Not Found`);
    expect((error as WebError).status).toBe(404);
    expect((error as WebError).url).toBe(`${BASE}pytorch_model.bin`);
  });

  it('refuses a body shorter than Content-Length (a cut download)', async () => {
    const { fetchImpl } = server({ 'a.bin': new Uint8Array(5) }, { lie: 8 });
    const files = new FetchFileSource(BASE, { fetch: fetchImpl, cache: false });
    await expect(files.read('a.bin')).rejects.toThrow(`GET ${BASE}a.bin: got 5 bytes, Content-Length said 8`);
  });

  it('answers exists() with HEAD, and falls back to a ranged GET where HEAD is refused', async () => {
    const plain = server({ 'config.json': '{}' });
    const files = new FetchFileSource(BASE, { fetch: plain.fetchImpl, cache: false });
    expect(await files.exists('config.json')).toBe(true);
    expect(await files.exists('preprocessor_config.json')).toBe(false);
    expect(plain.calls.map((c) => c.method)).toEqual(['HEAD', 'HEAD']);

    const picky = server({ 'config.json': '{}' }, { head405: true });
    const files2 = new FetchFileSource(BASE, { fetch: picky.fetchImpl, cache: false });
    expect(await files2.exists('config.json')).toBe(true);
    expect(await files2.exists('missing.json')).toBe(false);
    expect(picky.calls.map((c) => c.method)).toEqual(['HEAD', 'GET', 'HEAD', 'GET']);
  });

  it('serves a second read from the Cache API without downloading again', async () => {
    const store = new Map<string, Response>();
    const cache = {
      match: async (url: string) => store.get(url)?.clone(),
      put: async (url: string, response: Response) => void store.set(url, response),
    };
    const opened: string[] = [];
    vi.stubGlobal('caches', {
      open: async (name: string) => {
        opened.push(name);
        return cache;
      },
    });
    const data = new Uint8Array([9, 8, 7]);
    const { fetchImpl, calls } = server({ 'model.safetensors': data });
    const files = new FetchFileSource(BASE, { fetch: fetchImpl, cache: 'my-models' });
    expect([...(await files.read('model.safetensors'))]).toEqual([9, 8, 7]);
    const progress: [number, number | undefined][] = [];
    expect([...(await files.read('model.safetensors', (l, t) => progress.push([l, t])))]).toEqual([9, 8, 7]);
    expect(await files.exists('model.safetensors')).toBe(true);
    expect(calls).toHaveLength(1);
    expect(progress).toEqual([[3, 3]]);
    expect(new Set(opened)).toEqual(new Set(['my-models']));
  });
});

/** A fetch whose every response streams `chunk`-byte chunks without end, counting the chunks pulled. */
function endlessBody(chunk: number, headers: Record<string, string> = {}) {
  const body = {
    pulled: 0,
    fetch: (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            body.pulled++;
            controller.enqueue(new Uint8Array(chunk));
          },
        }),
        { status: 200, headers },
      )) as typeof fetch,
  };
  return body;
}

describe('FetchFileSource under the reading policy', () => {
  it('refuses a file whose Content-Length passes maxBytes before reading its body', async () => {
    const body = endlessBody(1024, { 'Content-Length': String(2 ** 40) });
    const files = new FetchFileSource(BASE, { fetch: body.fetch, cache: false });
    const error = await files.read('config.json', undefined, { maxBytes: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FilePolicyError);
    expect((error as FilePolicyError).message).toBe(
      `${BASE}config.json: 1099511627776 bytes, more than the 100 its reader accepts`,
    );
    expect(body.pulled).toBeLessThanOrEqual(1); // a stream may pre-fill one chunk; nothing more is read
  });

  it('stops an endless body without a length as soon as it passes maxBytes', async () => {
    const body = endlessBody(1000);
    const files = new FetchFileSource(BASE, { fetch: body.fetch, cache: false });
    await expect(files.read('zero.json', undefined, { maxBytes: 4500 })).rejects.toThrow(
      `${BASE}zero.json: 5000 bytes, more than the 4500 its reader accepts`,
    );
    expect(body.pulled).toBeLessThan(10);
    // Within the cap, the same read succeeds.
    const { fetchImpl: ok } = server({ 'config.json': '{"a": 1}' });
    expect(
      await new FetchFileSource(BASE, { fetch: ok, cache: false }).read('config.json', undefined, {
        maxBytes: 8,
      }),
    ).toHaveLength(8);
  });
});
