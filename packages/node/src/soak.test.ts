// The CI-sized soak: 30 generations of the embedded model after 10 warm-up ones, one process, one
// model instance. `node packages/node/scripts/soak.mjs --n 500` is the full-length run on the build.
import { describe, expect, it } from 'vitest';
import { runSoak } from '../scripts/soak.mjs';
import { createNodeBackend } from './node-backend.js';
import { ImageGPTForCausalImageModeling } from './pretrained.js';

describe('soak', () => {
  it('30 generations: RSS within 10% after warm-up, no unhandled rejection, everything disposed', async () => {
    const result = await runSoak(
      { ImageGPTForCausalImageModeling, createNodeBackend },
      { n: 30, warmup: 10, maxGrowth: 0.1 },
    );
    console.log(
      `soak (CI): ${result.generations} generations in ${result.seconds} s (${result.msPerGeneration} ms each), ` +
        `RSS ${result.rssAfterWarmupMiB} -> ${result.rssEndMiB} MiB (${result.rssGrowthPercent}%), ` +
        `${result.runs} runs, ${result.tensorsReturned} tensors returned, ${result.tensorsLiveAfterDispose} still reachable`,
    );
    expect(result.failures).toEqual([]);
    expect(result.rssGrowthPercent).toBeLessThanOrEqual(10);
    expect(result.unhandledRejections).toBe(0);
    expect([result.decodersCreated, result.decodersLive]).toEqual([41, 0]);
    // One session for decoding (the full-forward one opens only when forward() is called).
    expect([result.sessionsCreated, result.sessionsLive]).toEqual([1, 0]);
    // One decoder step per generated token: 256 per image.
    expect(result.runs).toBe(41 * 256);
  }, 120_000);
});
