// The reading policy over what the hub path reads: sizes a server announces or sends, the cache's
// refs and index files, the token file. Each hostile case ends in one typed, one-line error, never
// a hang or a file read whole.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FilePolicyError } from '@imagegpt/core';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { type HubServer, startHubServer } from '@imagegpt/test-kit/hub-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadModel } from './download-model.js';

const MNIST = fileURLToPath(mnistCausalUrl);
const COMMIT = 'c'.repeat(40);
const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const haveMkfifo = (() => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return process.platform !== 'win32';
  } catch {
    return false;
  }
})();

/**
 * A server that speaks just enough of the resolve protocol for config.json: its HEAD announces
 * `announced` bytes, its GET streams bytes without end until the client hangs up. It counts what
 * it sent and the GETs it saw.
 */
async function endlessConfigServer(announced: number) {
  const seen = { gets: 0, sent: 0 };
  const server: Server = createServer((req, res) => {
    if (!req.url?.endsWith('/config.json')) return res.writeHead(404).end();
    const headers = { 'X-Repo-Commit': COMMIT, ETag: '"0123abcd"', 'Content-Type': 'application/json' };
    if (req.method === 'HEAD')
      return res.writeHead(200, { ...headers, 'Content-Length': String(announced) }).end();
    seen.gets++;
    res.writeHead(200, headers); // chunked: no length the client could check up front
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (!res.destroyed && seen.sent < 2 ** 32) {
        seen.sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    res.on('close', () => res.destroy());
    pump();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      'org/mnist': {
        files: Object.fromEntries(
          ['config.json', 'model.safetensors'].map((f) => [f, join(MNIST, f)] as const),
        ),
      },
    },
  });
});
afterAll(async () => {
  await hub?.close();
});

describe('the hub path under the reading policy', () => {
  it('refuses a config.json announced larger than maxJsonBytes before fetching a byte of it', async () => {
    const server = await endlessConfigServer(3 * 2 ** 30);
    try {
      const cacheDir = tempDir('igpt-hub-limits-');
      const error = await downloadModel('org/huge', { cacheDir, endpoint: server.endpoint, env: {} }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FilePolicyError);
      expect(error).toMatchObject({ rule: 'size', limit: 16 * 2 ** 20, size: 3 * 2 ** 30 });
      expect((error as Error).message).toBe(
        'org/huge/config.json: 3221225472 bytes, over the limit of 16777216 for this kind of file (FileLimits.maxJsonBytes; a real one is far smaller)',
      );
      expect(server.seen.gets).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('stops a server that sends more than it announced at the announced size', async () => {
    const server = await endlessConfigServer(1000);
    try {
      const cacheDir = tempDir('igpt-hub-limits-');
      const error = await downloadModel('org/endless', {
        cacheDir,
        endpoint: server.endpoint,
        env: {},
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'integrity', file: 'config.json' });
      expect((error as Error).message).toMatch(/sent more than the 1000 bytes it announced/);
      expect((error as Error).message).not.toMatch(/\n/);
      // The client hung up after its first chunk: the server got through a few buffers at most.
      expect(server.seen.sent).toBeLessThan(64 * 2 ** 20);
      const blobs = join(cacheDir, 'models--org--endless', 'blobs');
      expect(readdirSync(blobs)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('reads a cached index as a model folder is read: links only into blobs/, at most maxJsonBytes', async () => {
    const cacheDir = tempDir('igpt-hub-limits-');
    const { folder } = await downloadModel('org/mnist', { cacheDir, endpoint: hub.endpoint, env: {} });
    rmSync(join(folder, 'model.safetensors'));
    const outside = join(tempDir('igpt-outside-'), 'index.json');
    writeFileSync(outside, JSON.stringify({ weight_map: { a: 'model-00001.safetensors' } }));
    symlinkSync(outside, join(folder, 'model.safetensors.index.json'));
    const offline = { cacheDir, endpoint: hub.endpoint, env: { HF_HUB_OFFLINE: '1' } };
    const link = await downloadModel('org/mnist', offline).catch((e: unknown) => e);
    expect(link).toBeInstanceOf(FilePolicyError);
    expect(link).toMatchObject({ rule: 'link' });

    // A blob of the repo may be linked, but not one larger than an index may be.
    rmSync(join(folder, 'model.safetensors.index.json'));
    const blob = join(cacheDir, 'models--org--mnist', 'blobs', 'f'.repeat(64));
    writeFileSync(blob, `{"weight_map": {}, "metadata": "${' '.repeat(2 ** 20)}"}`);
    symlinkSync(`../../blobs/${'f'.repeat(64)}`, join(folder, 'model.safetensors.index.json'));
    const size = await downloadModel('org/mnist', { ...offline, limits: { maxJsonBytes: 2 ** 20 } }).catch(
      (e: unknown) => e,
    );
    expect(size).toBeInstanceOf(FilePolicyError);
    expect(size).toMatchObject({ rule: 'size', limit: 2 ** 20 });
  });

  it.skipIf(!haveMkfifo)(
    'refuses a refs file or a token file that is a FIFO instead of waiting on it',
    async () => {
      const cacheDir = tempDir('igpt-hub-limits-');
      const refs = join(cacheDir, 'models--org--mnist', 'refs');
      mkdirSync(refs, { recursive: true });
      execFileSync('mkfifo', [join(refs, 'main')]);
      const ref = await downloadModel('org/mnist', {
        cacheDir,
        endpoint: hub.endpoint,
        env: { HF_HUB_OFFLINE: '1' },
      }).catch((e: unknown) => e);
      expect(ref).toMatchObject({ name: 'HubError', reason: 'cache' });
      expect((ref as Error).message).toMatch(/refs\/main.*not a regular file/);

      const home = tempDir('igpt-hf-home-');
      execFileSync('mkfifo', [join(home, 'token')]);
      const token = await downloadModel('org/mnist', {
        cacheDir: tempDir('igpt-hub-limits-'),
        endpoint: hub.endpoint,
        env: { HF_HOME: home },
      }).catch((e: unknown) => e);
      expect(token).toMatchObject({ name: 'HubError', reason: 'invalid' });
      expect((token as Error).message).toBe(
        `the token file ${join(home, 'token')} is not a regular file; HF_TOKEN_PATH names the file to use`,
      );
    },
  );

  it('refuses a token file that is a device or larger than any token', async () => {
    const home = tempDir('igpt-hf-home-');
    symlinkSync('/dev/zero', join(home, 'token'));
    const device = await downloadModel('org/mnist', {
      cacheDir: tempDir('igpt-hub-limits-'),
      endpoint: hub.endpoint,
      env: { HF_HOME: home },
    }).catch((e: unknown) => e);
    expect((device as Error).message).toMatch(/token file .* is not a regular file/);
    const big = join(home, 'big-token');
    writeFileSync(big, 'x'.repeat(100_000));
    const large = await downloadModel('org/mnist', {
      cacheDir: tempDir('igpt-hub-limits-'),
      endpoint: hub.endpoint,
      env: { HF_TOKEN_PATH: big },
    }).catch((e: unknown) => e);
    expect((large as Error).message).toMatch(/holds 100000 bytes, more than the 65536 a token file may/);
  });
});
