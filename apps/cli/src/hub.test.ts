import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { type HubServer, startHubServer } from '@imagegpt/test-kit/hub-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModelRef, modelIdentity, modelRef } from './commands/shared.js';
import { type CliRun, igptAsync, tempDir } from './test-utils.js';

const MNIST = fileURLToPath(mnistCausalUrl);
const files = Object.fromEntries(
  ['config.json', 'preprocessor_config.json', 'generation_config.json', 'model.safetensors'].map((f) => [
    f,
    join(MNIST, f),
  ]),
);

let hub: HubServer;

beforeAll(async () => {
  hub = await startHubServer({ repos: { 'openai/imagegpt-mnist': { files }, 'org/twice': { files } } });
});

afterAll(async () => {
  await hub?.close();
});

/** The environment of a user whose hub cache is `cache` and whose hub is the stand-in. */
function hubEnv(cache: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HF_HUB_CACHE: cache,
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_OFFLINE: '',
    TRANSFORMERS_OFFLINE: '',
    HF_TOKEN: '',
    ...extra,
  };
}

function ok(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`igpt exited ${run.code}: ${run.stderr}`);
  return run;
}

describe('igpt with a hub id', () => {
  it('generate --model org/name downloads into an empty cache, then works offline with the same images', async () => {
    const cache = tempDir('igpt-hub-');
    const out = tempDir();
    const args = (name: string) => [
      'generate',
      '--model',
      'openai/imagegpt-mnist',
      '--n',
      '2',
      '--seed',
      '3',
      '--out',
      join(out, name),
      '--json',
    ];
    ok(await igptAsync(args('online.png'), { env: hubEnv(cache) }));
    const offline = ok(await igptAsync(args('offline.png'), { env: hubEnv(cache, { HF_HUB_OFFLINE: '1' }) }));
    expect(offline.stderr).toBe('');
    expect(readFileSync(join(out, 'offline.png')).equals(readFileSync(join(out, 'online.png')))).toBe(true);
  });

  it('download prints the snapshot folder; --json gives repo, revision, commit, folder and files', async () => {
    const cache = tempDir('igpt-hub-');
    const commit = hub.commitOf('openai/imagegpt-mnist')!;
    const run = ok(await igptAsync(['download', 'openai/imagegpt-mnist', '--json'], { env: hubEnv(cache) }));
    expect(JSON.parse(run.stdout)).toEqual({
      repo: 'openai/imagegpt-mnist',
      revision: 'main',
      commit,
      folder: join(cache, 'models--openai--imagegpt-mnist', 'snapshots', commit),
      files: ['config.json', 'preprocessor_config.json', 'generation_config.json', 'model.safetensors'],
    });
    const human = ok(
      await igptAsync(['download', 'openai/imagegpt-mnist', '--revision', commit], { env: hubEnv(cache) }),
    );
    expect(human.stdout.split('\n')[0]).toBe(
      join(cache, 'models--openai--imagegpt-mnist', 'snapshots', commit),
    );
    expect(human.stdout).toContain('all from the cache');
    const info = ok(
      await igptAsync(['info', '--model', 'openai/imagegpt-mnist', '--revision', commit, '--json'], {
        env: hubEnv(cache, { HF_HUB_OFFLINE: '1' }),
      }),
    );
    expect(JSON.parse(info.stdout)).toMatchObject({
      dir: join(cache, 'models--openai--imagegpt-mnist', 'snapshots', commit),
      parameters: expect.any(Number),
    });
  });

  it('two processes downloading one model at once fetch its weights once', async () => {
    const cache = tempDir('igpt-hub-');
    // The weights take a while to arrive, so the second process comes while the first holds the lock.
    hub.delay('model.safetensors', 1500);
    const weightGets = () =>
      hub.requestsFor(`/blobs/${hub.sha256Of('org/twice', 'model.safetensors')}`, 'GET').length;
    const before = weightGets();
    const runs = await Promise.all(
      [0, 1].map(() => igptAsync(['download', 'org/twice', '--json'], { env: hubEnv(cache) })),
    );
    hub.clearFaults();
    const folders = runs.map((run) => (JSON.parse(ok(run).stdout) as { folder: string }).folder);
    expect(folders[0]).toBe(folders[1]);
    expect(weightGets() - before).toBe(1);
    expect(
      readFileSync(join(folders[0]!, 'model.safetensors')).equals(readFileSync(files['model.safetensors']!)),
    ).toBe(true);
  });

  it('gives queue jobs the hub id pinned to its commit, which a worker loads from its own hub cache', async () => {
    const commit = hub.commitOf('openai/imagegpt-mnist')!;
    const ref = modelRef('/anywhere', { repo: 'openai/imagegpt-mnist', commit });
    expect(ref).toEqual({ model: 'openai/imagegpt-mnist', revision: commit });
    expect(await modelIdentity(ref)).toEqual({ ref });
    vi.stubEnv('HF_ENDPOINT', hub.endpoint);
    vi.stubEnv('HF_HUB_CACHE', tempDir('igpt-hub-worker-'));
    try {
      const model = await loadModelRef(ref, 'generate', 1);
      expect(model.config.nLayer).toBe(4);
      await model.dispose();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses --revision with a local folder, and an uncached hub id offline, in one line', async () => {
    const local = await igptAsync(['info', '--model', MNIST, '--revision', 'main']);
    expect(local.code).toBe(1);
    expect(local.stderr.trim()).toBe(
      `igpt: --revision applies to a hub id; --model ${MNIST} is a local folder`,
    );
    const offline = await igptAsync(['generate', '--model', 'org/never-downloaded'], {
      env: hubEnv(tempDir('igpt-hub-'), { HF_HUB_OFFLINE: '1' }),
    });
    expect(offline.code).toBe(1);
    expect(offline.stderr.trim().split('\n')).toHaveLength(1);
    expect(offline.stderr).toMatch(
      /^igpt: org\/never-downloaded at revision "main" is not in the hub cache .*offline mode is on \(HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE\): download it once online, e\.g\. igpt download org\/never-downloaded/,
    );
  });
});
