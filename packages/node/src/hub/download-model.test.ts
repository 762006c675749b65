import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanCacheDir } from '@huggingface/hub';
import { CheckpointError, HubError } from '@imagegpt/core';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { type HubServer, startHubServer } from '@imagegpt/test-kit/hub-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageGPTForCausalImageModeling } from '../index.js';
import { downloadModel, type HubDownloadOptions } from './download-model.js';

const MNIST = fileURLToPath(mnistCausalUrl);
const mnistFiles = Object.fromEntries(
  ['config.json', 'preprocessor_config.json', 'generation_config.json', 'model.safetensors'].map((f) => [
    f,
    join(MNIST, f),
  ]),
);
const text = (s: string) => new TextEncoder().encode(s);
const WEIGHTS = readFileSync(join(MNIST, 'model.safetensors'));

let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      // What a real hub repo also holds (TF and Flax weights, a README) must never be fetched.
      'org/mnist': {
        files: {
          ...mnistFiles,
          'tf_model.h5': new Uint8Array(8),
          'flax_model.msgpack': new Uint8Array(8),
          'README.md': text('hi'),
        },
      },
      'org/private': { files: mnistFiles, token: 'hf_secret' },
      'org/no-generation-config': {
        files: {
          'config.json': mnistFiles['config.json']!,
          'model.safetensors': mnistFiles['model.safetensors']!,
        },
        revisions: { main: 'a'.repeat(40), 'refs/pr/1': 'b'.repeat(40) },
      },
      'org/evil-index': {
        files: {
          'config.json': mnistFiles['config.json']!,
          'model.safetensors.index.json': text(
            JSON.stringify({ weight_map: { 'transformer.wte.weight': '../../../etc/passwd' } }),
          ),
        },
      },
      'org/loop': { files: mnistFiles },
      'org/stall': { files: mnistFiles },
      'org/giveup': { files: mnistFiles },
      'org/corrupt': { files: mnistFiles },
      'org/drop': { files: mnistFiles },
    },
  });
});

afterAll(async () => {
  await hub?.close();
});

function tempCache(): string {
  return mkdtempSync(join(tmpdir(), 'igpt-hub-cache-'));
}

/** Options that point a download at the stand-in hub, with nothing from this machine's environment. */
function options(
  cacheDir: string,
  extra: Omit<HubDownloadOptions, 'onProgress'> = {},
): Omit<HubDownloadOptions, 'onProgress'> {
  return { cacheDir, endpoint: hub.endpoint, env: {}, retryDelayMs: 10, ...extra };
}

/** Every path under `dir` with its kind, size, mtime and link target: a picture of the cache. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const info = lstatSync(p);
      out.push(
        `${relative(dir, p)} ${info.isSymbolicLink() ? `-> ${readlinkSync(p)}` : info.isDirectory() ? 'dir' : `${info.size} ${info.mtimeMs}`}`,
      );
      if (info.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

const gitBlobId = (bytes: Uint8Array) =>
  createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('downloadModel against a stand-in hub', () => {
  it('fills an empty cache in Python’s layout and fetches only the model’s files', async () => {
    const cacheDir = tempCache();
    const before = hub.requests.length;
    const events: { file: string; loaded: number; total: number }[] = [];
    const snapshot = await downloadModel('org/mnist', {
      ...options(cacheDir),
      onProgress: (e) => events.push(e),
    });
    const commit = hub.commitOf('org/mnist')!;
    const repoDir = join(cacheDir, 'models--org--mnist');
    expect(snapshot).toMatchObject({
      repo: 'org/mnist',
      revision: 'main',
      commit,
      folder: join(repoDir, 'snapshots', commit),
      fromCache: false,
    });
    expect(snapshot.files).toEqual([
      'config.json',
      'preprocessor_config.json',
      'generation_config.json',
      'model.safetensors',
    ]);
    expect(snapshot.downloadedBytes).toBe(
      WEIGHTS.length +
        ['config.json', 'preprocessor_config.json', 'generation_config.json'].reduce(
          (n, f) => n + statSync(join(MNIST, f)).size,
          0,
        ),
    );
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    // Large files are named by their sha256, small ones by their git blob id; snapshots link to them.
    const config = readFileSync(join(MNIST, 'config.json'));
    expect(readlinkSync(join(snapshot.folder, 'model.safetensors'))).toBe(
      join('..', '..', 'blobs', sha256(WEIGHTS)),
    );
    expect(readlinkSync(join(snapshot.folder, 'config.json'))).toBe(
      join('..', '..', 'blobs', gitBlobId(config)),
    );
    expect(readFileSync(join(snapshot.folder, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
    expect(readdirSync(join(repoDir, 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(false);
    expect(existsSync(join(cacheDir, '.locks', 'models--org--mnist'))).toBe(true);
    expect(readdirSync(join(cacheDir, '.locks', 'models--org--mnist'))).toEqual([]);

    const seen = hub.requests.slice(before);
    expect(seen.filter((r) => r.method === 'HEAD').every((r) => r.acceptEncoding === 'identity')).toBe(true);
    expect(seen.map((r) => r.path).filter((p) => /tf_model|flax|README/.test(p))).toEqual([]);
    expect(seen.filter((r) => r.host === 'lfs' && r.method === 'GET')).toHaveLength(1);
    const last = events.filter((e) => e.file === 'model.safetensors').at(-1);
    expect(last).toMatchObject({ loaded: WEIGHTS.length, total: WEIGHTS.length, stage: 'download' });
  });

  it('writes a cache that @huggingface/hub’s scanCacheDir reads: repo, commit, refs and files', async () => {
    const cacheDir = tempCache();
    const snapshot = await downloadModel('org/mnist', options(cacheDir));
    const scan = await scanCacheDir(cacheDir);
    expect(scan.warnings).toEqual([]);
    expect(scan.repos.map((r) => r.id)).toEqual([{ name: 'org/mnist', type: 'model' }]);
    const [revision] = scan.repos[0]!.revisions;
    expect(scan.repos[0]!.revisions).toHaveLength(1);
    expect(revision).toMatchObject({ commitOid: snapshot.commit, refs: ['main'], path: snapshot.folder });
    expect(revision!.files.map((f) => f.path.slice(snapshot.folder.length + 1)).sort()).toEqual(
      [...snapshot.files].sort(),
    );
    for (const f of revision!.files)
      expect(f.blob.path.startsWith(join(cacheDir, 'models--org--mnist', 'blobs'))).toBe(true);
    expect(scan.repos[0]!.size).toBe(snapshot.downloadedBytes);
  });

  it('downloads nothing the second time: one HEAD resolves the branch, the cache has the rest', async () => {
    const cacheDir = tempCache();
    await downloadModel('org/mnist', options(cacheDir));
    const picture = tree(cacheDir);
    const before = hub.requests.length;
    const again = await downloadModel('org/mnist', options(cacheDir));
    const seen = hub.requests.slice(before);
    expect(seen.map((r) => `${r.method} ${r.path}`)).toEqual([`HEAD /org/mnist/resolve/main/config.json`]);
    expect(again.downloadedBytes).toBe(0);
    // Nothing is written to a cache that is up to date, so a read-only one serves as well.
    expect(tree(cacheDir)).toEqual(picture);
    // A pinned commit that is cached needs no request at all.
    const pinned = await downloadModel('org/mnist', options(cacheDir, { revision: again.commit }));
    expect(hub.requests.length).toBe(before + 1);
    expect(pinned).toMatchObject({ folder: again.folder, fromCache: true });
    expect(tree(cacheDir)).toEqual(picture);
  });

  it('records files the repo lacks in .no_exist and keeps refs for revisions with a slash', async () => {
    const cacheDir = tempCache();
    const snapshot = await downloadModel(
      'org/no-generation-config',
      options(cacheDir, { revision: 'refs/pr/1' }),
    );
    const repoDir = join(cacheDir, 'models--org--no-generation-config');
    expect(snapshot.commit).toBe('b'.repeat(40));
    expect(snapshot.files).toEqual(['config.json', 'model.safetensors']);
    expect(readFileSync(join(repoDir, 'refs', 'refs', 'pr', '1'), 'utf8')).toBe('b'.repeat(40));
    expect(existsSync(join(repoDir, '.no_exist', 'b'.repeat(40), 'generation_config.json'))).toBe(true);
    expect(hub.requestsFor('/org/no-generation-config/resolve/refs/pr/1/config.json', 'HEAD')).toHaveLength(
      1,
    );
    // Asked again at the commit, the missing files cost no request.
    const before = hub.requests.length;
    await downloadModel('org/no-generation-config', options(cacheDir, { revision: 'b'.repeat(40) }));
    expect(hub.requests.length).toBe(before);
  });

  it('resumes with Range after the connection drops half-way', async () => {
    const cacheDir = tempCache();
    hub.dropAfter('model.safetensors', 1_000_000);
    const before = hub.requests.length;
    const snapshot = await downloadModel('org/drop', options(cacheDir));
    const gets = hub.requests.slice(before).filter((r) => r.host === 'lfs' && r.method === 'GET');
    // The second request asks for the rest from what reached the disk (at most the 1,000,000 bytes sent).
    expect(gets).toHaveLength(2);
    expect(gets[0]!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(readFileSync(join(snapshot.folder, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
  });

  it('resumes a stalled download after HF_HUB_DOWNLOAD_TIMEOUT seconds', async () => {
    const cacheDir = tempCache();
    hub.stallAfter('model.safetensors', 500_000);
    const before = hub.requests.length;
    const snapshot = await downloadModel(
      'org/stall',
      options(cacheDir, { env: { HF_HUB_DOWNLOAD_TIMEOUT: '0.3' } }),
    );
    const gets = hub.requests.slice(before).filter((r) => r.host === 'lfs' && r.method === 'GET');
    expect(gets.map((r) => r.range)).toEqual([undefined, 'bytes=500000-']);
    expect(readFileSync(join(snapshot.folder, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
  });

  it('gives up after 5 tries that bring no byte, keeping the partial file for the next run', async () => {
    const cacheDir = tempCache();
    hub.stallAfter('model.safetensors', 0, 5);
    const error = await downloadModel(
      'org/giveup',
      options(cacheDir, { env: { HF_HUB_DOWNLOAD_TIMEOUT: '0.2' } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).reason).toBe('network');
    expect((error as HubError).message).toMatch(
      /org\/giveup: download stopped at 0 of \d+ bytes after 5 tries without progress for model\.safetensors/,
    );
    expect(
      existsSync(
        join(cacheDir, 'models--org--giveup', 'snapshots', hub.commitOf('org/giveup')!, 'model.safetensors'),
      ),
    ).toBe(false);
    // The next run goes on where this one stopped.
    const snapshot = await downloadModel('org/giveup', options(cacheDir));
    expect(readFileSync(join(snapshot.folder, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
  });

  it('refuses bytes whose sha256 is not the ETag’s, leaving nothing in snapshots or blobs', async () => {
    const cacheDir = tempCache();
    hub.corrupt('model.safetensors');
    const error = await downloadModel('org/corrupt', options(cacheDir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect(error).toMatchObject({ reason: 'integrity', repo: 'org/corrupt', file: 'model.safetensors' });
    expect((error as Error).message).toMatch(
      /sha256 is [0-9a-f]{64}, not the [0-9a-f]{64} its ETag names.*discarded/,
    );
    const repoDir = join(cacheDir, 'models--org--corrupt');
    expect(readdirSync(join(repoDir, 'snapshots', hub.commitOf('org/corrupt')!))).not.toContain(
      'model.safetensors',
    );
    expect(
      readdirSync(join(repoDir, 'blobs')).filter((f) =>
        f.startsWith(hub.sha256Of('org/corrupt', 'model.safetensors')!),
      ),
    ).toEqual([]);
  });

  it('refuses a file whose size is not the one announced, leaving no partial file', async () => {
    for (const delta of [100, -100]) {
      const cacheDir = tempCache();
      hub.misstateSize('model.safetensors', delta);
      const error = await downloadModel('org/corrupt', options(cacheDir)).catch((e: unknown) => e);
      hub.clearFaults();
      expect(error).toMatchObject({ reason: 'integrity', file: 'model.safetensors' });
      expect((error as Error).message).toMatch(
        delta > 0 ? /has fewer than the \d+ bytes it announced/ : /sent more than the \d+ bytes it announced/,
      );
      const blobs = join(cacheDir, 'models--org--corrupt', 'blobs');
      expect(
        readdirSync(blobs).filter((f) => f.startsWith(hub.sha256Of('org/corrupt', 'model.safetensors')!)),
      ).toEqual([]);
    }
  });

  it('sends the token to the hub only, never to the large-file host', async () => {
    const cacheDir = tempCache();
    const before = hub.requests.length;
    await downloadModel('org/private', options(cacheDir, { env: { HF_TOKEN: 'hf_secret' } }));
    const seen = hub.requests.slice(before);
    expect(seen.filter((r) => r.host === 'hub').every((r) => r.authorization === 'Bearer hf_secret')).toBe(
      true,
    );
    expect(seen.filter((r) => r.host === 'lfs').length).toBeGreaterThan(0);
    expect(seen.filter((r) => r.host === 'lfs').every((r) => r.authorization === undefined)).toBe(true);
  });

  it('reads the token from the option, HF_TOKEN, HF_TOKEN_PATH or HF_HOME/token', async () => {
    const home = mkdtempSync(join(tmpdir(), 'igpt-hf-home-'));
    writeFileSync(join(home, 'token'), 'hf_secret\n');
    const snapshot = await downloadModel('org/private', {
      endpoint: hub.endpoint,
      env: { HF_HOME: home },
      retryDelayMs: 10,
    });
    expect(snapshot.folder.startsWith(join(home, 'hub', 'models--org--private'))).toBe(true);
    const tokenFile = join(home, 'other-token');
    writeFileSync(tokenFile, 'hf_secret');
    await expect(
      downloadModel('org/private', options(tempCache(), { env: { HF_TOKEN_PATH: tokenFile } })),
    ).resolves.toMatchObject({ repo: 'org/private' });
    await expect(
      downloadModel('org/private', options(tempCache(), { token: 'hf_secret', env: { HF_TOKEN: 'wrong' } })),
    ).resolves.toMatchObject({ repo: 'org/private' });
  });

  it('words 401 and 403 in one sentence naming the repo and whether a token was sent', async () => {
    const none = await downloadModel('org/private', options(tempCache())).catch((e: unknown) => e);
    expect(none).toMatchObject({
      reason: 'unauthorized',
      status: 401,
      tokenSent: false,
      repo: 'org/private',
    });
    expect((none as Error).message).toBe(
      `org/private on ${hub.endpoint} needs authorisation (HTTP 401, no token was sent): check the repository id; if it is private or gated, set HF_TOKEN or pass a token; the hub cache has no complete snapshot of it either (no refs/main and no snapshot for it)`,
    );
    const wrong = await downloadModel('org/private', options(tempCache(), { token: 'hf_wrong' })).catch(
      (e: unknown) => e,
    );
    expect(wrong).toMatchObject({ reason: 'forbidden', status: 403, tokenSent: true });
    expect((wrong as Error).message).toMatch(
      /^org\/private on http:\/\/127\.0\.0\.1:\d+ refused access \(HTTP 403, a token was sent\): use a token that can read this repository/,
    );
    const missing = await downloadModel('org/nothing-here', options(tempCache())).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(
      /^org\/nothing-here on .* needs authorisation \(HTTP 401, no token was sent\)/,
    );
    const revision = await downloadModel('org/mnist', options(tempCache(), { revision: 'v9' })).catch(
      (e: unknown) => e,
    );
    expect(revision).toMatchObject({ reason: 'not-found', status: 404, revision: 'v9' });
    expect((revision as Error).message).toMatch(
      /^revision "v9" was not found in org\/mnist on .* \(HTTP 404, no token was sent\): check the branch, tag or commit$/,
    );
  });

  it('uses the cache with a warning when the hub cannot be reached, and offline mode never asks', async () => {
    const server = await startHubServer({ repos: { 'org/gone': { files: mnistFiles } } });
    const cacheDir = tempCache();
    const first = await downloadModel('org/gone', { cacheDir, endpoint: server.endpoint, env: {} });
    await server.close();
    const warnings: string[] = [];
    const again = await downloadModel('org/gone', {
      cacheDir,
      endpoint: server.endpoint,
      env: {},
      onWarning: (w) => warnings.push(w),
    });
    expect(again).toMatchObject({ folder: first.folder, commit: first.commit, fromCache: true });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^org\/gone: request failed for config\.json at http:\/\/127\.0\.0\.1:\d+\/org\/gone\/resolve\/main\/config\.json \(ECONNREFUSED\).*; using the cached snapshot [0-9a-f]{40} of org\/gone@main$/,
    );
    for (const env of [{ HF_HUB_OFFLINE: '1' }, { TRANSFORMERS_OFFLINE: 'true' }]) {
      const offline = await downloadModel('org/gone', {
        cacheDir,
        endpoint: server.endpoint,
        env,
        onWarning: (w) => warnings.push(w),
      });
      expect(offline).toMatchObject({ folder: first.folder, fromCache: true });
    }
    expect(warnings).toHaveLength(1);
    const notCached = await downloadModel('org/other', {
      cacheDir,
      endpoint: server.endpoint,
      env: {},
      localFilesOnly: true,
    }).catch((e: unknown) => e);
    expect(notCached).toMatchObject({ reason: 'offline', repo: 'org/other' });
    expect((notCached as Error).message).toMatch(
      /^org\/other at revision "main" is not in the hub cache .* and offline mode is on \(localFilesOnly\): download it once online, e\.g\. igpt download org\/other$/,
    );
  });

  it('refuses a redirect loop after 10 redirects', async () => {
    hub.redirectLoop('config.json');
    const error = await downloadModel('org/loop', options(tempCache())).catch((e: unknown) => e);
    hub.clearFaults();
    expect(error).toMatchObject({ reason: 'protocol', repo: 'org/loop', file: 'config.json' });
    expect((error as Error).message).toMatch(/more than 10 redirects \(a redirect loop\)/);
    expect(hub.requestsFor('/org/loop/resolve/main/config.json')).toHaveLength(11);
  });

  it('refuses an index naming a shard outside the repo before asking for it', async () => {
    const error = await downloadModel('org/evil-index', options(tempCache())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(
      /weight_map\["transformer\.wte\.weight"\] = "\.\.\/\.\.\/\.\.\/etc\/passwd" is not a relative file name inside the model folder/,
    );
    expect(hub.requests.some((r) => r.path.includes('passwd'))).toBe(false);
  });

  it('refuses bad repo ids, revisions and endpoints before any request', async () => {
    const before = hub.requests.length;
    for (const repo of ['../x', 'a/b/c', 'a--b', 'a..b', 'x\u0000', '', '-x', 'a/b.git']) {
      await expect(downloadModel(repo, options(tempCache()))).rejects.toMatchObject({ reason: 'invalid' });
    }
    for (const revision of ['..', 'a/../b', 'main\n', '/main', 'a//b', 'a\\b']) {
      await expect(downloadModel('org/mnist', options(tempCache(), { revision }))).rejects.toMatchObject({
        reason: 'invalid',
      });
    }
    await expect(downloadModel('org/mnist', options(tempCache(), { endpoint: 'ftp://x' }))).rejects.toThrow(
      /is not an http\(s\) URL/,
    );
    await expect(
      downloadModel('org/mnist', options(tempCache(), { env: { HF_HUB_DOWNLOAD_TIMEOUT: 'soon' } })),
    ).rejects.toThrow(/HF_HUB_DOWNLOAD_TIMEOUT="soon" is not a positive number of seconds/);
    expect(hub.requests.length).toBe(before);
  });

  it('takes over a lock whose owner died, and one untouched for longer than the stale timeout', async () => {
    for (const make of ['dead-owner', 'old-file'] as const) {
      const cacheDir = tempCache();
      const lockDir = join(cacheDir, '.locks', 'models--org--mnist');
      mkdirSync(lockDir, { recursive: true });
      const lock = join(lockDir, `${hub.sha256Of('org/mnist', 'model.safetensors')}.igpt.lock`);
      // pid 2^22 + 1 is above Linux's pid limit, so no process has it.
      writeFileSync(
        lock,
        JSON.stringify({ pid: make === 'dead-owner' ? 4_194_305 : process.pid, host: 'x' }),
      );
      if (make === 'dead-owner')
        writeFileSync(lock, JSON.stringify({ pid: 4_194_305, host: (await import('node:os')).hostname() }));
      else utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      const snapshot = await downloadModel('org/mnist', options(cacheDir, { lockStaleMs: 5_000 }));
      expect(readFileSync(join(snapshot.folder, 'model.safetensors')).equals(WEIGHTS)).toBe(true);
      expect(existsSync(lock)).toBe(false);
    }
  });
});

describe('fromPretrained with a hub id', () => {
  it('loads from the hub into the cache, then offline, with the same tokens as the folder itself', async () => {
    const cacheDir = tempCache();
    const reference = await ImageGPTForCausalImageModeling.fromPretrained(MNIST, { threads: 1 });
    const want = (await reference.generate({ maxLength: 17 })).sequences;
    await reference.dispose();
    const stages = new Set<string>();
    for (const extra of [{}, { localFilesOnly: true }]) {
      const model = await ImageGPTForCausalImageModeling.fromPretrained('org/mnist', {
        threads: 1,
        ...options(cacheDir, extra),
        onProgress: (e) => stages.add(e.stage ?? 'read'),
      });
      try {
        expect((await model.generate({ maxLength: 17 })).sequences).toEqual(want);
      } finally {
        await model.dispose();
      }
    }
    expect([...stages].sort()).toEqual(['download', 'read']);
  });

  it('prefers an existing local folder of the same name, and says when neither exists', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'igpt-cwd-'));
    const error = await ImageGPTForCausalImageModeling.fromPretrained(
      'org/not-a-folder',
      options(tempCache(), { localFilesOnly: true }),
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /offline mode is on \(localFilesOnly\).* \(and there is no local folder named org\/not-a-folder\)$/,
    );
    // A relative folder that exists wins, even though its name is also a valid repo id.
    mkdirSync(join(cwd, 'org'));
    symlinkSync(MNIST, join(cwd, 'org', 'mnist'));
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const model = await ImageGPTForCausalImageModeling.fromPretrained('org/mnist', {
        threads: 1,
        ...options(tempCache(), { localFilesOnly: true }),
      });
      expect(model.config.nLayer).toBe(4);
      await model.dispose();
    } finally {
      process.chdir(previous);
    }
  });

  it('loads a cache laid out by hand exactly as Python’s huggingface_hub lays it out', async () => {
    const cacheDir = tempCache();
    const commit = '0123456789abcdef0123456789abcdef01234567';
    const repoDir = join(cacheDir, 'models--openai--imagegpt-mnist');
    mkdirSync(join(repoDir, 'blobs'), { recursive: true });
    mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
    mkdirSync(join(repoDir, 'refs'), { recursive: true });
    writeFileSync(join(repoDir, 'refs', 'main'), commit); // Python writes no newline
    for (const file of ['config.json', 'preprocessor_config.json', 'model.safetensors']) {
      const bytes = readFileSync(join(MNIST, file));
      const etag = file.endsWith('.safetensors') ? sha256(bytes) : gitBlobId(bytes);
      writeFileSync(join(repoDir, 'blobs', etag), bytes);
      symlinkSync(join('..', '..', 'blobs', etag), join(repoDir, 'snapshots', commit, file));
    }
    mkdirSync(join(repoDir, '.no_exist', commit), { recursive: true });
    writeFileSync(join(repoDir, '.no_exist', commit, 'generation_config.json'), '');
    const model = await ImageGPTForCausalImageModeling.fromPretrained('openai/imagegpt-mnist', {
      threads: 1,
      cacheDir,
      env: { HF_HUB_OFFLINE: '1' },
    });
    try {
      expect(model.processor?.numClusters).toBe(16);
      expect((await model.generate({ maxLength: 5 })).sequences[0]).toHaveLength(5);
    } finally {
      await model.dispose();
    }
    // The same through HF_HUB_CACHE, and pinned to the commit.
    const snapshot = await downloadModel('openai/imagegpt-mnist', {
      env: { HF_HUB_CACHE: cacheDir, HF_HUB_OFFLINE: '1' },
      revision: commit,
    });
    expect(resolve(snapshot.folder)).toBe(join(repoDir, 'snapshots', commit));
    expect(snapshot.files).toEqual(['config.json', 'preprocessor_config.json', 'model.safetensors']);
  });
});
