import { join } from 'node:path';
import { HubError, loadCheckpoint } from '@imagegpt/core';
import { goldenCaseDir } from '@imagegpt/test-kit';
import { type HubServer, startHubServer } from '@imagegpt/test-kit/hub-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchFileSource } from './fetch-file-source.js';
import { isHubName, resolveHubFolder } from './hub-folder.js';

const CASE = goldenCaseDir('tiny-causal');
const files = Object.fromEntries(['config.json', 'model.safetensors'].map((f) => [f, join(CASE, f)]));

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({
    repos: { 'org/mnist': { files }, 'org/private': { files, token: 'hf_secret' } },
  });
});
afterAll(async () => {
  await hub?.close();
});

describe('hub ids in the browser path', () => {
  it('tells hub ids from URLs', () => {
    expect(['openai/imagegpt-small', 'gpt2'].map(isHubName)).toEqual([true, true]);
    expect(
      ['/models/x/', './x', 'x/', 'https://h/x/', 'a/b/c', new URL('https://h/a/b')].map(isHubName),
    ).toEqual([false, false, false, false, false, false]);
  });

  it('resolves a branch to its commit from X-Repo-Commit, and a commit with no request', async () => {
    const commit = hub.commitOf('org/mnist')!;
    const folder = await resolveHubFolder('org/mnist', { endpoint: hub.endpoint, cache: false });
    expect(folder).toEqual({
      repo: 'org/mnist',
      revision: 'main',
      commit,
      url: `${hub.endpoint}/org/mnist/resolve/${commit}/`,
    });
    const before = hub.requests.length;
    expect((await resolveHubFolder('org/mnist', { endpoint: hub.endpoint, revision: commit })).url).toBe(
      folder.url,
    );
    expect(hub.requests.length).toBe(before);
    // Files come through the resolve URL at the commit, large ones redirected to the large-file host.
    const source = new FetchFileSource(folder.url, { cache: false });
    const ckpt = await loadCheckpoint(source);
    expect(ckpt.names()).toContain('transformer.wte.weight');
    expect(
      hub.requestsFor(`/blobs/${hub.sha256Of('org/mnist', 'model.safetensors')}`, 'GET').length,
    ).toBeGreaterThan(0);
  });

  it('asks the revision API when the page cannot read X-Repo-Commit', async () => {
    const hiding: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const headers = new Headers(response.headers);
      headers.delete('X-Repo-Commit');
      return new Response(response.body, { status: response.status, headers });
    };
    const folder = await resolveHubFolder('org/mnist', {
      endpoint: hub.endpoint,
      fetch: hiding,
      cache: false,
    });
    expect(folder.commit).toBe(hub.commitOf('org/mnist'));
    expect(hub.requests.at(-1)?.path).toBe('/api/models/org/mnist/revision/main');
  });

  it('reads the revision API within maxJsonBytes and in one pass, whatever the server sends', async () => {
    const commit = hub.commitOf('org/mnist')!;
    // The page cannot read X-Repo-Commit, and the revision API answers with `body`.
    const answering =
      (body: () => ReadableStream<Uint8Array> | string): typeof fetch =>
      async (input, init) => {
        const response = await fetch(input, init);
        const headers = new Headers(response.headers);
        headers.delete('X-Repo-Commit');
        if (!String(input).includes('/api/models/'))
          return new Response(response.body, { status: 200, headers });
        await response.body?.cancel();
        return new Response(body(), { status: 200, headers: { 'Content-Type': 'application/json' } });
      };
    // Endless: siblings that never close, no Content-Length.
    let sent = 0;
    const endless = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"siblings":['));
        },
        pull(c) {
          sent += 65_536;
          c.enqueue(new TextEncoder().encode('[],'.repeat(65_536 / 3)));
        },
      });
    const error = await resolveHubFolder('org/mnist', {
      endpoint: hub.endpoint,
      fetch: answering(endless),
      cache: false,
      limits: { maxJsonBytes: 2 ** 20 },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'FilePolicyError', rule: 'size', limit: 2 ** 20 });
    expect(sent).toBeLessThan(2 ** 21);
    // A million empty arrays beside the sha: read past, never built.
    const junk = `{"siblings":[${'[],'.repeat(1_000_000)}[]],"sha":"${commit}"}`;
    const folder = await resolveHubFolder('org/mnist', {
      endpoint: hub.endpoint,
      fetch: answering(() => junk),
      cache: false,
    });
    expect(folder.commit).toBe(commit);
    const broken = await resolveHubFolder('org/mnist', {
      endpoint: hub.endpoint,
      fetch: answering(() => `{"sha": "${commit}"`),
      cache: false,
    }).catch((e: unknown) => e);
    expect(broken).toMatchObject({ name: 'HubError', reason: 'protocol' });
    expect((broken as Error).message).toMatch(/the revision API answered with no JSON object/);
  });

  it('sends the token, and words refusals in one sentence', async () => {
    const ok = await resolveHubFolder('org/private', {
      endpoint: hub.endpoint,
      token: 'hf_secret',
      cache: false,
    });
    expect(ok.commit).toBe(hub.commitOf('org/private'));
    await expect(
      resolveHubFolder('org/private', { endpoint: hub.endpoint, cache: false }),
    ).rejects.toMatchObject({
      reason: 'unauthorized',
      tokenSent: false,
    });
    await expect(
      resolveHubFolder('org/mnist', { endpoint: hub.endpoint, revision: 'nope', cache: false }),
    ).rejects.toThrow(/^revision "nope" was not found in org\/mnist/);
    await expect(resolveHubFolder('../x', { endpoint: hub.endpoint })).rejects.toBeInstanceOf(HubError);
  });

  it('says so when the hub cannot be reached and nothing remembers the commit', async () => {
    const error = await resolveHubFolder('org/mnist', { endpoint: 'http://127.0.0.1:9', cache: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ reason: 'network', repo: 'org/mnist' });
    expect((error as Error).message).toMatch(
      /could not reach http:\/\/127\.0\.0\.1:9 to resolve revision "main".*pin a commit/,
    );
  });
});
