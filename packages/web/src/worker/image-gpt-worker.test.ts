import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goldenCaseDir } from '@imagegpt/test-kit';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ImageGPTForCausalImageModeling } from '../pretrained.js';
import { ImageGPTWorker, type WorkerLike } from './image-gpt-worker.js';
import { hostImageGPT, type WorkerScopeLike } from './worker-host.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';

// The page side and the host, joined by a message channel in this thread: every message is
// structured-cloned as postMessage would, so what crosses is what a real worker would see.
// Chromium runs the package's own worker script in the browser tests.
const BASE = 'https://models.example/tiny-causal/';

/** Serves a golden case's folder at {@link BASE} through a stubbed fetch. */
function serveCase(name = 'tiny-causal'): void {
  const dir = goldenCaseDir(name);
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const name = String(input).slice(BASE.length);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(join(dir, name)));
    } catch {
      return new Response('missing', { status: 404 });
    }
    return init?.method === 'HEAD'
      ? new Response(null, { headers: { 'Content-Length': String(bytes.length) } })
      : new Response(bytes);
  });
}

/** A worker whose other end is {@link hostImageGPT} in this thread; counts the messages each way. */
function inThreadWorker() {
  const pageListeners: ((event: MessageEvent<WorkerResponse>) => void)[] = [];
  const sent: WorkerRequest[] = [];
  const scope: WorkerScopeLike = {
    onmessage: null,
    postMessage: (message) => {
      const copy = structuredClone(message);
      setTimeout(() => {
        for (const l of pageListeners) l({ data: copy } as MessageEvent<WorkerResponse>);
      });
    },
  };
  hostImageGPT(scope);
  const worker: WorkerLike = {
    postMessage: (message) => {
      sent.push(message);
      const copy = structuredClone(message);
      setTimeout(() => scope.onmessage?.({ data: copy } as MessageEvent<WorkerRequest>));
    },
    addEventListener: (type: string, listener: (event: never) => void) => {
      if (type === 'message') pageListeners.push(listener as (event: MessageEvent<WorkerResponse>) => void);
    },
    terminate: () => {},
  };
  return { worker, sent };
}

afterEach(() => vi.unstubAllGlobals());

describe('ImageGPTWorker', () => {
  it('loads and generates on the other side, streaming rows, with the tokens of a model on the page', async () => {
    serveCase();
    const { worker, sent } = inThreadWorker();
    const host = new ImageGPTWorker({ worker });
    const remote = await host.ImageGPTForCausalImageModeling.fromPretrained(BASE, { cache: false });
    const local = await ImageGPTForCausalImageModeling.fromPretrained(BASE, { cache: false });
    try {
      expect(remote.config.nPositions).toBe(64);
      const rows: number[] = [];
      const options = { doSample: true, seed: 5, numReturnSequences: 2 } as const;
      const got = await remote.generate({ ...options, onRow: ({ row }) => rows.push(row) });
      const want = await local.generate(options);
      expect(got.sequences).toEqual(want.sequences);
      expect(rows).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(sent.map((m) => m.kind)).toEqual(['load', 'call']);
    } finally {
      await Promise.all([remote.dispose(), local.dispose()]);
    }
    await expect(remote.generate({ maxLength: 3 })).rejects.toThrow(/disposed or was never loaded/);
  });

  it('gives the reference’s greedy sequences (HF generate) from SOS and from a prefix', async () => {
    serveCase('tiny-generate');
    const golden = goldenCase('tiny-generate');
    const { worker } = inThreadWorker();
    const host = new ImageGPTWorker({ worker });
    const remote = await host.ImageGPTForCausalImageModeling.fromPretrained(BASE, { cache: false });
    try {
      const fromSos = await remote.generate({ batchSize: 2, maxLength: 65, doSample: false });
      expect(fromSos.sequences).toEqual(golden.rows('greedy_sos_ids'));
      const fromPrefix = await remote.generate({
        prompt: golden.rows('greedy_prefix_prompt'),
        doSample: false,
      });
      expect(fromPrefix.sequences).toEqual(golden.rows('greedy_prefix_ids'));
    } finally {
      await remote.dispose();
    }
  });

  it('forwards an abort as a message and rejects with the signal’s reason', async () => {
    serveCase();
    const { worker, sent } = inThreadWorker();
    const host = new ImageGPTWorker({ worker });
    const remote = await host.ImageGPTForCausalImageModeling.fromPretrained(BASE, { cache: false });
    try {
      const controller = new AbortController();
      const reason = new Error('user left the page');
      let tokens = 0;
      const run = remote.generate({
        signal: controller.signal,
        onToken: () => {
          if (++tokens === 3) controller.abort(reason);
        },
      });
      await expect(run).rejects.toBe(reason);
      expect(sent.some((m) => m.kind === 'abort')).toBe(true);
      // The worker stopped soon after the abort arrived, well before the 64 tokens of an image.
      await new Promise((r) => setTimeout(r, 50));
      expect(tokens).toBeLessThan(64);
      const aborted = new AbortController();
      aborted.abort(reason);
      await expect(remote.generate({ signal: aborted.signal })).rejects.toBe(reason);
    } finally {
      await remote.dispose();
    }
  });

  it('refuses what cannot cross to a worker, and methods a model does not offer', async () => {
    serveCase();
    const { worker } = inThreadWorker();
    const host = new ImageGPTWorker({ worker });
    const remote = await host.ImageGPTForCausalImageModeling.fromPretrained(BASE, { cache: false });
    try {
      const withFunction = { doSample: true, logitsProcessor: () => 0 };
      await expect(remote.generate(withFunction as Parameters<typeof remote.generate>[0])).rejects.toThrow(
        /option logitsProcessor is a function, which cannot be sent to the worker/,
      );
      const call = (remote as unknown as { call(m: string, a: unknown[]): Promise<unknown> }).call;
      await expect(call('dispose', [])).rejects.toThrow(/has no method dispose a page may call/);
    } finally {
      await remote.dispose();
    }
  });
});
