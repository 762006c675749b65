// One model instance, many generations at once: each call owns its decoder and KV cache, so
// concurrent calls give exactly what the same calls give one after another, and an aborted call
// lets go of its decoder without disturbing the others.
import type { Decoder } from '@imagegpt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageGPTForCausalImageModeling } from './pretrained.js';

const modelDir = new URL('../../models/assets/igpt-mnist-16/', import.meta.url);

let model: ImageGPTForCausalImageModeling;
/** Every decoder the runner handed out, with whether it was disposed. */
const decoders: { decoder: Decoder; disposed: boolean }[] = [];

beforeAll(async () => {
  model = await ImageGPTForCausalImageModeling.fromPretrained(modelDir, { threads: 1 });
  const create = model.runner.createDecoder.bind(model.runner);
  model.runner.createDecoder = (batchSize: number) => {
    const decoder = create(batchSize);
    const entry = { decoder, disposed: false };
    const dispose = decoder.dispose.bind(decoder);
    decoder.dispose = () => {
      entry.disposed = true;
      dispose();
    };
    decoders.push(entry);
    return decoder;
  };
});

afterAll(async () => {
  await model?.dispose();
});

/** Sixteen different requests: seeds, warpers, batch sizes and lengths all differ. */
const requests = Array.from({ length: 16 }, (_, i) => ({
  doSample: true,
  seed: 1000 + i,
  temperature: 0.8 + (i % 4) * 0.15,
  ...(i % 3 === 0 ? { topK: 4 } : {}),
  ...(i % 5 === 0 ? { topP: 0.9 } : {}),
  ...(i % 4 === 1 ? { batchSize: 2 } : {}),
  // Some stop early, so calls finish at different times and the rest run on.
  ...(i % 4 === 2 ? { maxLength: 65 + i } : {}),
}));

describe('concurrent generation on one model', () => {
  it('16 concurrent generate calls give exactly what 16 sequential calls give', async () => {
    const sequential: number[][][] = [];
    for (const request of requests) sequential.push((await model.generate(request)).sequences);
    const before = decoders.length;
    const concurrent = await Promise.all(requests.map((request) => model.generate(request)));
    expect(concurrent.map((r) => r.sequences)).toEqual(sequential);
    // Each call had its own decoder, and all of them were disposed.
    expect(decoders.length - before).toBe(16);
    expect(decoders.every((d) => d.disposed)).toBe(true);
    // The requests are different enough that sharing a cache would have shown.
    expect(new Set(sequential.map((s) => JSON.stringify(s))).size).toBe(16);
    expect(sequential[1]).toHaveLength(2);
    expect(sequential[2]?.[0]).toHaveLength(67);
  }, 120_000);

  it('an abort mid-generation rejects with AbortError, disposes that decoder and leaves the others untouched', async () => {
    const request = { doSample: true, seed: 7, temperature: 1 };
    const expected = (await model.generate(request)).sequences;
    const others = [requests[0]!, requests[5]!, requests[10]!];
    const othersExpected = await Promise.all(others.map((r) => model.generate(r).then((g) => g.sequences)));

    const controller = new AbortController();
    const before = decoders.length;
    let stepsSeen = 0;
    const aborted = model.generate({
      ...request,
      signal: controller.signal,
      onToken: ({ step }) => {
        stepsSeen = step + 1;
        if (step === 40) controller.abort();
      },
    });
    const running = others.map((r) => model.generate(r).then((g) => g.sequences));
    const error = await aborted.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('AbortError');
    expect(stepsSeen).toBe(41);
    expect(await Promise.all(running)).toEqual(othersExpected);

    const abortedDecoder = decoders[before];
    expect(abortedDecoder?.disposed).toBe(true);
    // A disposed decoder refuses further steps rather than computing on a dropped cache.
    await expect(abortedDecoder?.decoder.next([[0]])).rejects.toThrow(/after dispose/);
    expect(decoders.every((d) => d.disposed)).toBe(true);

    // The model is unharmed: the same request gives the same tokens as before the abort.
    expect((await model.generate(request)).sequences).toEqual(expected);
  }, 120_000);

  it('aborts on a timer while other calls run, and an already-aborted signal never creates a decoder', async () => {
    const controller = new AbortController();
    const before = decoders.length;
    const aborted = model.generate({ doSample: true, seed: 3, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(decoders.slice(before).every((d) => d.disposed)).toBe(true);

    const already = AbortSignal.abort();
    const count = decoders.length;
    await expect(model.generate({ seed: 1, signal: already })).rejects.toMatchObject({ name: 'AbortError' });
    expect(decoders.length).toBe(count);
  }, 60_000);
});
