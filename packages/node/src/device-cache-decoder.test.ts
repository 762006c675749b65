import { generate, ImageGPTRunner } from '@imagegpt/core';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { deviceBackend } from './test-utils/device-backend.js';

// The decoder a WebGPU backend gets (the KV cache kept in device memory between steps), run here on
// onnxruntime-node behind a backend that plays the device: outputs it is told to keep come back as
// opaque DeviceTensors, which the decoder must feed back without reading. Chromium's WebGPU runs the
// same decoder for real in the browser tests.

describe('decoder with the KV cache on the device', () => {
  it('gives the CPU decoder greedy tokens, reads no cache byte back, and frees each step’s cache', async () => {
    const golden = goldenCase('small-causal');
    const { config } = golden;
    const checkpoint = golden.weights('safetensors');
    const cpu = createNodeBackend({ threads: 2 });
    const { backend, traffic } = deviceBackend(cpu);
    const device = await ImageGPTRunner.create({ backend, config, checkpoint, head: 'causal' });
    const host = await ImageGPTRunner.create({ backend: cpu, config, checkpoint, head: 'causal' });
    try {
      expect(device.cacheOnDevice).toBe(true);
      expect(host.cacheOnDevice).toBe(false);
      const prompt = [(golden.rows('input_ids')[0] as number[]).slice(0, 5)];
      const steps = 24;
      const onDevice = await generate(device, { prompt, maxLength: 5 + steps, outputScores: true });
      const onHost = await generate(host, { prompt, maxLength: 5 + steps, outputScores: true });
      expect(onDevice.sequences).toEqual(onHost.sequences);
      // Logits agree within the golden tolerance (the device path runs the reference graph).
      const { atol } = golden.tolerance('logits');
      onDevice.scores?.forEach((s, i) => {
        const other = onHost.scores?.[i] as Float32Array;
        const worst = s.reduce((m, v, j) => Math.max(m, Math.abs(v - (other[j] as number))), 0);
        expect(worst).toBeLessThan(atol);
      });
      // Per step only the logits come back ([1, 1, V−1] float32): no byte of the cache.
      const logitBytes = (config.vocabSize - 1) * 4;
      expect(traffic.hostBytesBack).toHaveLength(steps);
      expect(new Set(traffic.hostBytesBack)).toEqual(new Set([logitBytes]));
      expect(traffic.readBacks).toBe(0);
      // Only the live cache's tensors remain, and generation disposed them when it ended.
      expect(traffic.live.size).toBe(0);
    } finally {
      await Promise.all([device.dispose(), host.dispose()]);
    }
  });
});
