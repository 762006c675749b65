import { readFile } from 'node:fs/promises';
import { ImageGPTConfig } from '@imagegpt/config';
import { ImageGPTRunner } from '@imagegpt/core';
import { compareFloats } from '@imagegpt/heads/conformance';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { ImageGPTForCausalImageModeling, ImageGPTForImageClassification } from './pretrained.js';
import { createWebBackend, WASM_MAX_MODEL_BYTES } from './web-backend.js';
import { WebError } from './web-error.js';

// Under Node, `onnxruntime-web` resolves to its Node build of the same WebAssembly runtime, so this
// checks the backend's tensor plumbing against the golden logits; the browser suite runs it in Chromium.
describe('WebBackend (onnxruntime-web wasm)', () => {
  it('reproduces the tiny-causal golden logits and KV cache', async () => {
    const golden = goldenCase('tiny-causal');
    const { config } = golden;
    const checkpoint = golden.weights('safetensors');
    const rows = golden.rows('input_ids');

    const backend = createWebBackend({ device: 'wasm' });
    expect(await backend.device()).toBe('wasm');
    const runner = await ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal' });
    try {
      const out = await runner.forward(rows);
      expect(out.logits.dims).toEqual([2, 64, 16]);
      golden.expectClose('logits', out.logits);
      const key = out.presents.layers[1]!.key;
      expect(key.dims).toEqual([2, 4, 64, 8]);
      // Within atol alone (no rtol term).
      const { atol } = golden.tolerance('past_key_values.1.key');
      const refKey = golden.f32('past_key_values.1.key');
      const { maxAbsErr } = compareFloats('past_key_values.1.key', key.data as Float32Array, refKey, atol, 0);
      expect(maxAbsErr).toBeLessThanOrEqual(atol);
    } finally {
      await runner.dispose();
    }
  });

  it('refuses a model too large for wasm memory before handing it to the runtime, pointing to WebGPU', async () => {
    const backend = createWebBackend({ device: 'wasm', maxWasmModelBytes: 1000 });
    const artifact = {
      model: new Uint8Array(600),
      externalData: [{ path: 'w.bin', data: new Uint8Array(600) }],
    };
    const error = await backend.createSession(artifact).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebError);
    expect((error as Error).message).toMatch(/over the 0\.00 GiB the wasm device can load/);
    expect((error as Error).message).toMatch(/device: 'webgpu'/);
    // The default bound keeps fp32 iGPT-medium (455M parameters) and refuses fp32 iGPT-large (1.36B).
    expect(455e6 * 4).toBeLessThan(WASM_MAX_MODEL_BYTES);
    expect(1.36e9 * 4).toBeGreaterThan(WASM_MAX_MODEL_BYTES);
  });

  it('refuses iGPT-large from its config.json alone, before a weight is downloaded', async () => {
    const requested: string[] = [];
    const serve = (files: Record<string, string>) =>
      (async (input: RequestInfo | URL) => {
        const url = new URL(String(input));
        requested.push(url.pathname);
        const body = files[url.pathname.split('/').pop() ?? ''];
        return body === undefined ? new Response('missing', { status: 404 }) : new Response(body);
      }) as typeof fetch;
    const large = ImageGPTConfig.preset('large').toJSONString();
    const base = 'https://example.test/openai/imagegpt-large/';
    const error = await ImageGPTForCausalImageModeling.fromPretrained(base, {
      fetch: serve({ 'config.json': large }),
      cache: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebError);
    expect((error as Error).message).toMatch(
      /^WebBackend: https:\/\/example\.test\/openai\/imagegpt-large\/ \(1,3\d\d,\d{3},\d{3} weights in fp32\) is 5\.\d\d GiB, over the 2\.00 GiB the wasm device can load/,
    );
    // Only the two JSON files were asked for (existence, then contents): no weight file.
    expect(requested).toContain('/openai/imagegpt-large/config.json');
    expect(requested.filter((p) => !/\/(config|preprocessor_config)\.json$/.test(p))).toEqual([]);

    // The tiny golden classifier fits; the check reads config.json, then loading goes on.
    requested.length = 0;
    const dir = goldenCase('tiny-classify').dir;
    const tiny = await ImageGPTForImageClassification.fromPretrained(base, {
      fetch: serve({
        'config.json': await readFile(`${dir}/config.json`, 'utf8'),
      }),
      cache: false,
    }).catch((e: unknown) => e);
    // No weights are served here, so loading stops at the missing weight file: past the size check.
    expect((tiny as Error).message).toMatch(/model\.safetensors|pytorch_model\.bin/);
    expect(requested[0]).toBe('/openai/imagegpt-large/config.json');
  });

  it('explains a missing WebGPU, and falls back to wasm on auto', async () => {
    // Node 20 has no navigator.gpu, like a browser without WebGPU.
    await expect(createWebBackend({ device: 'webgpu' }).device()).rejects.toThrow(
      /no WebGPU \(navigator\.gpu is undefined\)/,
    );
    expect(await createWebBackend({ device: 'auto' }).device()).toBe('wasm');
    expect(() => createWebBackend({ threads: 0 })).toThrow(/threads must be a positive integer, got 0/);
    expect(() => createWebBackend({ device: 'cuda' as 'wasm' })).toThrow(
      /device must be 'wasm', 'webgpu' or 'auto', got "cuda"/,
    );
  });
});
