// The CI-sized soak: 60 generations of the embedded model after 20 warm-up ones, one process, one
// model instance. `node packages/node/scripts/soak.mjs --n 500` is the full-length run on the build,
// held to 5% with no second chance.
import { describe, expect, it } from 'vitest';
import { runSoak } from '../scripts/soak.mjs';
import { createNodeBackend } from './node-backend.js';
import { ImageGPTForCausalImageModeling } from './pretrained.js';

describe('soak', () => {
  it('60 generations: RSS levels off after warm-up, no unhandled rejection, everything disposed', async () => {
    const warmup = 20;
    const result = await runSoak(
      { ImageGPTForCausalImageModeling, createNodeBackend },
      // A short run on a shared CI machine can see a one-off step of a few tens of MiB (once, 13%
      // over 30 generations): growth over 10% gets a confirming round, which a leak fails too.
      { n: 60, warmup, maxGrowth: 0.1, confirm: true },
    );
    console.log(
      `soak (CI): ${result.generations} generations in ${result.seconds} s (${result.msPerGeneration} ms each), ` +
        `RSS ${result.rssAfterWarmupMiB} -> ${result.rssEndMiB} MiB (${result.rssGrowthPercent}%` +
        `${result.confirmGrowthPercent === undefined ? '' : `, then ${result.confirmGrowthPercent}% confirming`}), ` +
        `${result.runs} runs, ${result.tensorsReturned} tensors returned, ${result.tensorsLiveAfterDispose} still reachable; ` +
        `RSS samples ${result.rssSamplesMiB.join(' ')} MiB, V8 committed ${result.heapCommittedMiB.join(' -> ')} MiB, ` +
        `array buffers ${result.arrayBuffersMiB.join(' -> ')} MiB`,
    );
    expect(result.failures).toEqual([]);
    expect(result.unhandledRejections).toBe(0);
    // Every generation (warm-up, measured, and the seed-0 repeat at the end) made and freed one decoder.
    const total = warmup + result.generations + 1;
    expect([result.decodersCreated, result.decodersLive]).toEqual([total, 0]);
    // One session for decoding (the full-forward one opens only when forward() is called).
    expect([result.sessionsCreated, result.sessionsLive]).toEqual([1, 0]);
    // One decoder step per generated token: 256 per image.
    expect(result.runs).toBe(total * 256);
  }, 120_000);

  it('catches a leak: 4 MiB kept per generation fails, confirming round and all', async () => {
    const kept: Buffer[] = [];
    const leaky = {
      async fromPretrained(...args: Parameters<typeof ImageGPTForCausalImageModeling.fromPretrained>) {
        const model = await ImageGPTForCausalImageModeling.fromPretrained(...args);
        const generate = model.generate.bind(model);
        model.generate = (options) => {
          kept.push(Buffer.alloc(4 * 2 ** 20, 1));
          return generate(options);
        };
        return model;
      },
    };
    const result = await runSoak(
      { ImageGPTForCausalImageModeling: leaky, createNodeBackend },
      { n: 10, warmup: 2, maxGrowth: 0.1, confirm: true },
    );
    expect(result.confirmGrowthPercent).toBeGreaterThan(10);
    expect(result.failures).toEqual([expect.stringMatching(/^RSS grew .* more in the confirming round/)]);
    expect(kept.length).toBe(2 + 20 + 1);
  }, 60_000);
});
