import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../checkpoint/errors.js';
import { isSha256Etag, normalizeEtag, readFileMetadata } from './file-metadata.js';
import { HubError, hubHttpError } from './hub-error.js';
import { chooseModelFiles } from './model-files.js';
import {
  checkEndpoint,
  checkRevision,
  hubFileUrl,
  hubFolderUrl,
  hubRevisionApiUrl,
  isCommitHash,
  isRepoId,
  repoFolderName,
} from './repo-id.js';

describe('repo ids, revisions and URLs', () => {
  it('follows huggingface_hub’s repo id rules', () => {
    expect(['gpt2', 'openai/imagegpt-small', 'a_b/c.d-e', 'x'.repeat(96)].every(isRepoId)).toBe(true);
    for (const bad of [
      '',
      'a/b/c',
      '../x',
      'a--b',
      'a..b',
      '-a',
      'a-',
      '.a',
      'a/b.git',
      'a b',
      'x'.repeat(97),
      'é/x',
      'a/',
      '/a',
    ]) {
      expect(isRepoId(bad), bad).toBe(false);
    }
    expect(repoFolderName('openai/imagegpt-small')).toBe('models--openai--imagegpt-small');
    expect(repoFolderName('gpt2')).toBe('models--gpt2');
  });

  it('encodes a revision as one URL segment, and file paths segment by segment', () => {
    expect(hubFileUrl('https://hub.test/', 'org/m', 'refs/pr/1', 'sub dir/model.safetensors')).toBe(
      'https://hub.test/org/m/resolve/refs%2Fpr%2F1/sub%20dir/model.safetensors',
    );
    expect(hubFolderUrl('https://mirror.test/hf', 'org/m', 'main')).toBe(
      'https://mirror.test/hf/org/m/resolve/main/',
    );
    expect(hubRevisionApiUrl('https://hub.test', 'org/m', 'v1.0')).toBe(
      'https://hub.test/api/models/org/m/revision/v1.0',
    );
  });

  it('refuses revisions with .., empty segments, backslashes or control characters', () => {
    for (const ok of ['main', 'v1.0', 'refs/pr/1', 'a'.repeat(40)]) expect(checkRevision(ok)).toBe(ok);
    for (const bad of ['', '..', 'a/../b', 'a//b', '/a', 'a/', 'a\\b', 'a\nb', 'a\u0000', 'a\u007f', '.']) {
      expect(() => checkRevision(bad, 'org/m'), JSON.stringify(bad)).toThrow(HubError);
    }
    expect(isCommitHash('0123456789abcdef0123456789abcdef01234567')).toBe(true);
    expect(isCommitHash('0123456789ABCDEF0123456789abcdef01234567')).toBe(false);
    expect(() => checkEndpoint('file:///etc')).toThrow(/is not an http\(s\) URL/);
    expect(checkEndpoint('http://127.0.0.1:8080//')).toBe('http://127.0.0.1:8080');
  });
});

describe('the hub’s headers', () => {
  const headers = (h: Record<string, string>) => new Headers(h);

  it('reads commit, linked ETag and size from a redirect, and its Location against the request', () => {
    const sha = 'a'.repeat(64);
    const meta = readFileMetadata(
      headers({
        'X-Repo-Commit': 'c'.repeat(40),
        ETag: '"blobid"',
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': '1234',
        'Content-Length': '0',
        Location: '/cdn/x',
      }),
      302,
      'https://hub.test/org/m/resolve/main/model.safetensors',
    );
    expect(meta).toEqual({
      commit: 'c'.repeat(40),
      etag: sha,
      size: 1234,
      location: 'https://hub.test/cdn/x',
    });
    expect(isSha256Etag(meta.etag!)).toBe(true);
  });

  it('takes ETag and Content-Length of a plain answer; a redirect’s Content-Length is no file size', () => {
    expect(
      readFileMetadata(headers({ ETag: 'W/"abc"', 'Content-Length': '10' }), 200, 'https://h/x'),
    ).toEqual({ etag: 'abc', size: 10 });
    expect(
      readFileMetadata(headers({ 'Content-Length': '10', Location: 'https://cdn/x' }), 302, 'https://h/x'),
    ).toEqual({ location: 'https://cdn/x' });
    expect(
      readFileMetadata(headers({ 'X-Linked-Size': '-1', 'Content-Length': '1e3' }), 200, 'https://h/x'),
    ).toEqual({});
    expect(normalizeEtag(null)).toBeUndefined();
    expect(normalizeEtag('""')).toBeUndefined();
  });

  it('words each refusal in one sentence', () => {
    const base = {
      repo: 'org/m',
      revision: 'main',
      endpoint: 'https://hub.test',
      file: 'config.json',
    } as const;
    const messages = [
      hubHttpError({ ...base, status: 401, errorCode: 'RepoNotFound', tokenSent: false }),
      hubHttpError({ ...base, status: 403, errorCode: 'GatedRepo', tokenSent: true }),
      hubHttpError({ ...base, status: 404, errorCode: 'RepoNotFound', tokenSent: true }),
      hubHttpError({ ...base, status: 404, errorCode: 'EntryNotFound', tokenSent: false }),
      hubHttpError({ ...base, status: 503, tokenSent: false }),
    ];
    expect(messages.map((e) => e.reason)).toEqual([
      'unauthorized',
      'forbidden',
      'not-found',
      'not-found',
      'network',
    ]);
    for (const e of messages) {
      expect(e.message.split('\n')).toHaveLength(1);
      expect(e.message).toContain('org/m');
      expect(e.message).toMatch(/(a|no) token was sent/);
    }
  });
});

describe('chooseModelFiles', () => {
  /** A repo of the given files; `asked` records every question, in order. */
  function repo(files: Record<string, string>) {
    const asked: string[] = [];
    return {
      asked,
      probe: {
        has: async (file: string) => {
          asked.push(file);
          return file in files;
        },
        read: async (file: string) => new TextEncoder().encode(files[file]),
      },
    };
  }

  it('takes the JSON files present, then the first weights in transformers’ order, nothing else', async () => {
    const { probe, asked } = repo({
      'config.json': '',
      'model.safetensors': '',
      'pytorch_model.bin': '',
      'tf_model.h5': '',
    });
    expect(await chooseModelFiles(probe, { repo: 'org/m', revision: 'main' })).toEqual({
      files: ['config.json', 'model.safetensors'],
      format: 'safetensors',
    });
    expect(asked).toEqual([
      'config.json',
      'preprocessor_config.json',
      'generation_config.json',
      'model.safetensors',
    ]);
    expect((await chooseModelFiles(probe, { repo: 'org/m', revision: 'main', prefer: 'bin' })).files).toEqual(
      ['config.json', 'pytorch_model.bin'],
    );
  });

  it('follows an index to its shards, once each', async () => {
    const index = JSON.stringify({
      weight_map: { a: 'pytorch_model-1.bin', b: 'pytorch_model-2.bin', c: 'pytorch_model-1.bin' },
    });
    const { probe } = repo({
      'config.json': '',
      'pytorch_model.bin.index.json': index,
      'pytorch_model-1.bin': '',
      'pytorch_model-2.bin': '',
    });
    expect(await chooseModelFiles(probe, { repo: 'org/m', revision: 'main' })).toEqual({
      files: ['config.json', 'pytorch_model.bin.index.json', 'pytorch_model-1.bin', 'pytorch_model-2.bin'],
      format: 'bin',
      index: 'pytorch_model.bin.index.json',
    });
  });

  it('refuses a repo without config.json or weights, an index leaving the repo, and a missing shard', async () => {
    await expect(chooseModelFiles(repo({}).probe, { repo: 'org/m', revision: 'main' })).rejects.toThrow(
      /has no config\.json/,
    );
    await expect(
      chooseModelFiles(repo({ 'config.json': '' }).probe, { repo: 'org/m', revision: 'v1' }),
    ).rejects.toThrow(
      /org\/m has no PyTorch weights at revision "v1" \(looked for model\.safetensors, model\.safetensors\.index\.json, pytorch_model\.bin, pytorch_model\.bin\.index\.json\)/,
    );
    for (const shard of ['../x.bin', '/etc/x', 'a/../../b', 'https://evil/x', 'C:\\x']) {
      const index = JSON.stringify({ weight_map: { a: shard } });
      const { probe, asked } = repo({ 'config.json': '', 'model.safetensors.index.json': index });
      await expect(chooseModelFiles(probe, { repo: 'org/m', revision: 'main' })).rejects.toBeInstanceOf(
        CheckpointError,
      );
      expect(asked).not.toContain(shard);
    }
    const index = JSON.stringify({ weight_map: { a: 'model-1.safetensors' } });
    await expect(
      chooseModelFiles(repo({ 'config.json': '', 'model.safetensors.index.json': index }).probe, {
        repo: 'org/m',
        revision: 'main',
      }),
    ).rejects.toThrow(/names shard model-1\.safetensors, which the repo does not have/);
  });
});
