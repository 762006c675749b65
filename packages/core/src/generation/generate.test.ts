import { goldenCase } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import type { Decoder } from '../model/index.js';
import { generate } from './generate.js';
import { GenerationError } from './generation-error.js';
import { applyWarpers } from './logits-warpers.js';
import { argmaxRows } from './sampling.js';
import { fakeLogit, fakeModel } from './test-utils/fake-decoder.js';
import type { GenerativeModel } from './types.js';

/** Like tiny-generate: 16 colours + SOS, 8×8 images. */
const TINY = { vocabSize: 17, nPositions: 64, imageSide: 8 } as const;
const SOS = 16;

function pixelsOf(seq: readonly number[]): number[] {
  return seq.slice(1);
}

describe('generate: greedy', () => {
  it('defaults to one full image of nPositions + 1 tokens from [[SOS]]', async () => {
    const { model, log } = fakeModel(TINY);
    const { sequences, scores } = await generate(model);
    expect(sequences).toHaveLength(1);
    expect(sequences[0]).toHaveLength(65);
    expect(sequences[0]?.[0]).toBe(SOS);
    expect(scores).toBeUndefined();
    expect(log.created).toEqual([1]);
    expect(log.calls).toHaveLength(64);
    expect(log.disposed).toBe(1);
  });

  it('picks the argmax of each step, returned as scores', async () => {
    const { model } = fakeModel(TINY);
    const { sequences, scores } = await generate(model, { batchSize: 3, outputScores: true, maxLength: 20 });
    expect(scores).toHaveLength(19);
    scores?.forEach((s, step) => {
      expect(s).toHaveLength(3 * 16);
      expect(argmaxRows(s, 3)).toEqual(sequences.map((seq) => seq[step + 1]));
      // The scores are the fake model's logits for the sequence so far.
      expect(s[5]).toBe(Math.fround(fakeLogit(sequences[0]?.slice(0, step + 1) ?? [], 5)));
    });
  });

  it('breaks ties towards the lowest index', async () => {
    const { model } = fakeModel(TINY, (_tokens, columns) => new Array<number>(columns).fill(0.5));
    const { sequences } = await generate(model, { maxLength: 10 });
    expect(sequences).toEqual([[SOS, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
  });

  it('feeds the whole prompt first, then one token per row, never the final token', async () => {
    const { model, log } = fakeModel(TINY);
    const prompt = [
      [SOS, 1, 2, 3],
      [SOS, 4, 5, 6],
    ];
    const { sequences } = await generate(model, { prompt, maxLength: 8 });
    expect(log.calls[0]).toEqual(prompt);
    expect(log.calls).toHaveLength(4);
    log.calls.slice(1).forEach((call, i) => {
      expect(call).toEqual(sequences.map((seq) => [seq[4 + i]]));
    });
    // Every token but the last was seen by the decoder.
    expect(log.calls.flatMap((c) => c[0])).toEqual(sequences[0]?.slice(0, 7));
  });

  it('keeps a 24-token prefix exactly and completes it to 65 tokens', async () => {
    const prefix = [SOS, ...Array.from({ length: 23 }, (_, i) => (i * 7) % 16)];
    const { model } = fakeModel(TINY);
    const { sequences } = await generate(model, { prompt: [prefix] });
    expect(sequences[0]?.slice(0, 24)).toEqual(prefix);
    expect(sequences[0]).toHaveLength(65);
  });

  it('returns the prompt without creating a decoder when it already has maxLength tokens', async () => {
    const { model, log } = fakeModel(TINY);
    const prompt = [[SOS, 1, 2]];
    expect(await generate(model, { prompt, maxLength: 3, outputScores: true })).toEqual({
      sequences: prompt,
      scores: [],
    });
    expect(log.created).toEqual([]);
  });
});

describe('generate: replays HF greedy goldens (tiny-generate)', () => {
  const golden = goldenCase('tiny-generate');

  /** A decoder that returns HF's recorded per-step logits and checks it is fed HF's tokens. */
  function replay(ids: number[][], scores: Float32Array, steps: number): GenerativeModel {
    return {
      config: TINY,
      createDecoder(batchSize): Decoder {
        let step = 0;
        let length = 0;
        return {
          batchSize,
          get length() {
            return length;
          },
          async next(tokens) {
            tokens.forEach((row, b) => {
              expect(row).toEqual(ids[b]?.slice(length, length + row.length));
            });
            length += tokens[0]?.length ?? 0;
            const out = new Float32Array(batchSize * 16);
            for (let b = 0; b < batchSize; b++)
              out.set(scores.subarray((b * steps + step) * 16, (b * steps + step + 1) * 16), b * 16);
            step++;
            return out;
          },
          dispose() {},
        };
      },
    };
  }

  for (const [name, steps] of [
    ['greedy_sos', 64],
    ['greedy_prefix', 41],
  ] as const) {
    it(`${name}: same ids as HF generate`, async () => {
      const ids = golden.rows(`${name}_ids`);
      const prompt = golden.rows(`${name}_prompt`);
      const { sequences } = await generate(replay(ids, golden.f32(`${name}_scores`), steps), { prompt });
      expect(sequences).toEqual(ids);
    });
  }
});

describe('generate: sampling', () => {
  it('is deterministic for a seed, and different seeds give different images', async () => {
    const run = async (seed: number | bigint) =>
      (
        await generate(fakeModel(TINY).model, {
          doSample: true,
          seed,
          batchSize: 2,
          temperature: 1.3,
          topK: 10,
          topP: 0.95,
        })
      ).sequences;
    const a = await run(7);
    expect(await run(7n)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    expect(a[0]).not.toEqual(a[1]);
  });

  it('row b draws from stream b, so a row does not depend on the batch size', async () => {
    const prompt = [SOS, 3];
    const single = await generate(fakeModel(TINY).model, { doSample: true, seed: 99, prompt: [prompt] });
    const double = await generate(fakeModel(TINY).model, {
      doSample: true,
      seed: 99,
      prompt: [prompt, prompt],
    });
    expect(double.sequences[0]).toEqual(single.sequences[0]);
  });

  it('expands each prompt row numReturnSequences times, in order (repeat_interleave)', async () => {
    const { model, log } = fakeModel(TINY);
    const prompt = [
      [SOS, 1],
      [SOS, 2],
    ];
    const { sequences } = await generate(model, {
      doSample: true,
      seed: 1,
      prompt,
      numReturnSequences: 3,
      maxLength: 6,
    });
    expect(log.created).toEqual([6]);
    expect(sequences.map((s) => s.slice(0, 2))).toEqual([
      prompt[0],
      prompt[0],
      prompt[0],
      prompt[1],
      prompt[1],
      prompt[1],
    ]);
    expect(sequences.every((s) => s.length === 6)).toBe(true);
  });

  it('only ever emits pixel ids, never SOS', async () => {
    for (const seed of [1, 2, 3]) {
      const { sequences } = await generate(fakeModel(TINY).model, {
        doSample: true,
        seed,
        batchSize: 4,
        temperature: 5,
      });
      for (const seq of sequences) {
        expect(seq[0]).toBe(SOS);
        expect(seq.slice(1).every((t) => Number.isInteger(t) && t >= 0 && t <= SOS - 1)).toBe(true);
      }
    }
  });

  it('samples a fixed distribution in proportion at temperature 1 (chi-square, 20k draws)', async () => {
    const probs = Array.from({ length: 16 }, (_, i) => (i % 5) + 1);
    const total = probs.reduce((s, p) => s + p, 0);
    const logits = probs.map((p) => Math.log(p));
    const { model } = fakeModel(TINY, () => logits);
    const { sequences } = await generate(model, {
      doSample: true,
      seed: 5,
      batchSize: 1000,
      maxLength: 21,
      temperature: 1,
    });
    const counts = new Array<number>(16).fill(0);
    for (const seq of sequences) for (const t of seq.slice(1)) counts[t]! += 1;
    const n = 20_000;
    const chi2 = counts.reduce(
      (s, c, i) => s + (c - (n * (probs[i] as number)) / total) ** 2 / ((n * (probs[i] as number)) / total),
      0,
    );
    expect(chi2).toBeLessThan(37.7); // 15 degrees of freedom, p = 0.001
  });

  it('top-k restricts draws to the k best tokens', async () => {
    const logits = Array.from({ length: 16 }, (_, i) => i / 4);
    const { model } = fakeModel(TINY, () => logits);
    const { sequences } = await generate(model, {
      doSample: true,
      seed: 11,
      batchSize: 50,
      maxLength: 21,
      topK: 3,
    });
    const seen = new Set(sequences.flatMap((s) => s.slice(1)));
    expect([...seen].sort((a, b) => a - b)).toEqual([13, 14, 15]);
  });
});

describe('generate: maxNewTokens', () => {
  it('grows every row by that many tokens, winning over maxLength', async () => {
    const prompt = [[SOS, 1, 2, 3]];
    const { sequences } = await generate(fakeModel(TINY).model, { prompt, maxNewTokens: 5, maxLength: 65 });
    expect(sequences[0]).toHaveLength(9);
    expect((await generate(fakeModel(TINY).model, { prompt, maxNewTokens: 0 })).sequences).toEqual(prompt);
    // null is unset: maxLength (here the whole image) applies.
    expect((await generate(fakeModel(TINY).model, { prompt, maxNewTokens: null })).sequences[0]).toHaveLength(
      65,
    );
  });
});

describe('generate: prompts of different lengths in one batch', () => {
  const prompts = [[SOS, 3], [SOS, 5, 6, 7, 8, 9, 10], [SOS]];
  const alone = (prompt: number[], options: Parameters<typeof generate>[1]) =>
    generate(fakeModel(TINY).model, { ...options, prompt: [prompt] });

  it.each([
    ['greedy', {}],
    ['sampling', { doSample: true, seed: 11, temperature: 0.8, topK: 6 }],
    ['greedy, maxNewTokens', { maxNewTokens: 9 }],
    ['sampling, maxLength', { doSample: true, seed: 3, maxLength: 30 }],
  ] as const)('%s: each row gives the tokens and scores it gives alone', async (_, options) => {
    const { model, log } = fakeModel(TINY);
    const batch = await generate(model, { ...options, prompt: prompts, outputScores: true });
    for (const [b, prompt] of prompts.entries()) {
      // Sampling: row b draws from stream b of the seed, which is stream 0 alone at firstStream b.
      const single = await alone(prompt, {
        ...options,
        outputScores: true,
        ...('seed' in options ? { firstStream: b } : {}),
      });
      expect(batch.sequences[b]).toEqual(single.sequences[0]);
      for (const [step, s] of single.scores!.entries())
        expect(batch.scores![step]!.subarray(b * 16, (b + 1) * 16)).toEqual(s);
      // Once a row is done its scores are NaN.
      for (const s of batch.scores!.slice(single.scores!.length))
        expect(s.subarray(b * 16, (b + 1) * 16).every(Number.isNaN)).toBe(true);
    }
    // One decoder: the prompts first as they are, then each growing row's newest token, [] once done.
    expect(log.created).toEqual([3]);
    expect(log.calls[0]).toEqual(prompts);
    const done = (b: number, call: number) => (log.calls[call]![b] as number[]).length === 0;
    expect(log.calls.some((_, call) => done(1, call))).toBe(!('maxNewTokens' in options));
    for (const call of log.calls.slice(1)) for (const row of call) expect(row.length).toBeLessThanOrEqual(1);
  });

  it('reports each row at its own position, and each image row as the sequences complete it', async () => {
    const positions: number[][] = [];
    const rows: [number, number[]][] = [];
    await generate(fakeModel(TINY).model, {
      prompt: [[SOS, 1, 2, 3, 4, 5, 6], [SOS]],
      maxNewTokens: 3,
      onToken: (e) => positions.push(e.positions),
      onRow: (e) => rows.push([e.row, e.sequences]),
    });
    expect(positions).toEqual([
      [7, 1],
      [8, 2],
      [9, 3],
    ]);
    expect(rows).toEqual([[0, [0]]]);
  });
});

describe('generate: outputScores when sampling (HF returns the processed scores)', () => {
  it('returns the warped scores each token was drawn from', async () => {
    const { model } = fakeModel(TINY);
    const greedy = await generate(model, { maxLength: 6, outputScores: true });
    const sampled = await generate(fakeModel(TINY).model, {
      maxLength: 6,
      outputScores: true,
      doSample: true,
      seed: 1,
      temperature: 0.5,
      topK: 3,
    });
    for (const [step, s] of sampled.scores!.entries()) {
      const raw = Float32Array.from({ length: 16 }, (_, j) =>
        fakeLogit(sampled.sequences[0]!.slice(0, step + 1), j),
      );
      expect(s).toEqual(applyWarpers(raw, 1, { temperature: 0.5, topK: 3 }));
      expect(s.filter((v) => v === Number.NEGATIVE_INFINITY)).toHaveLength(13);
      // The sampled token is among the kept ones.
      expect(s[sampled.sequences[0]![step + 1]!]).toBeGreaterThan(Number.NEGATIVE_INFINITY);
    }
    expect(greedy.scores![0]!.some((v) => v === Number.NEGATIVE_INFINITY)).toBe(false);
  });
});

describe('generate: callbacks', () => {
  it('onToken reports every step with its position and tokens', async () => {
    const events: { step: number; position: number; tokens: number[]; last: number[] }[] = [];
    const { sequences } = await generate(fakeModel(TINY).model, {
      prompt: [[SOS, 1, 2]],
      maxLength: 7,
      onToken: (e) =>
        events.push({
          step: e.step,
          position: e.position,
          tokens: e.tokens,
          last: e.sequences.map((s) => s.at(-1) ?? -1),
        }),
    });
    expect(events.map((e) => [e.step, e.position])).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    events.forEach((e) => {
      expect(e.tokens).toEqual([sequences[0]?.[e.position]]);
      expect(e.last).toEqual(e.tokens);
    });
  });

  it('onRow fires once per image row with the partial images', async () => {
    const rows: { row: number; pixels: number[][] }[] = [];
    const { sequences } = await generate(fakeModel(TINY).model, {
      batchSize: 2,
      onRow: (e) => rows.push({ row: e.row, pixels: e.pixels.map((p) => [...p]) }),
    });
    expect(rows.map((r) => r.row)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    rows.forEach(({ row, pixels }) => {
      expect(pixels).toEqual(sequences.map((s) => pixelsOf(s).slice(0, (row + 1) * 8)));
    });
  });

  it('waits for a promise onRow returns before the next step, and stops on its rejection', async () => {
    const { model, log } = fakeModel(TINY);
    const stepsWhenRowDone: number[] = [];
    let release: (() => void) | undefined;
    const running = generate(model, {
      onRow: () =>
        new Promise<void>((resolve) => {
          release = () => {
            stepsWhenRowDone.push(log.calls.length);
            resolve();
          };
        }),
    });
    // Each row holds the loop: no decoder step runs until the page (here, the test) lets it go.
    for (let row = 0; row < 8; row++) {
      await new Promise((r) => setTimeout(r, 5));
      const calls = log.calls.length;
      await new Promise((r) => setTimeout(r, 5));
      expect(log.calls.length).toBe(calls);
      release?.();
    }
    await running;
    expect(stepsWhenRowDone).toEqual([8, 16, 24, 32, 40, 48, 56, 64]);

    const failing = fakeModel(TINY);
    const boom = new Error('row failed');
    await expect(generate(failing.model, { onRow: () => Promise.reject(boom) })).rejects.toBe(boom);
    expect(failing.log.calls).toHaveLength(8);
    expect(failing.log.disposed).toBe(1);
  });

  it('firstStream: a job split into calls of any batch size draws the same rows as one call', async () => {
    const sample = (batchSize: number, firstStream?: number, seed = 7) =>
      generate(fakeModel(TINY).model, {
        doSample: true,
        seed,
        batchSize,
        ...(firstStream === undefined ? {} : { firstStream }),
      }).then((r) => r.sequences);
    const whole = await sample(4);
    expect([...(await sample(2, 0)), ...(await sample(2, 2))]).toEqual(whole);
    expect([...(await sample(1, 0)), ...(await sample(3, 1))]).toEqual(whole);
    // Seed 8's rows are not seed 7's rows shifted by one (as a seed + row scheme would make them).
    const next = await sample(4, 0, 8);
    expect(next.slice(0, 3)).not.toEqual(whole.slice(1));
    await expect(sample(1, -1)).rejects.toThrow(/firstStream.*>= 0, got -1/);
  });

  it('onRow skips rows completed by the prompt alone', async () => {
    const rows: number[] = [];
    const prompt = [[SOS, ...new Array<number>(20).fill(3)]];
    await generate(fakeModel(TINY).model, { prompt, maxLength: 41, onRow: (e) => rows.push(e.row) });
    expect(rows).toEqual([2, 3, 4]);
  });
});

describe('generate: abort', () => {
  it('rejects with an AbortError mid-generation and disposes the decoder', async () => {
    const controller = new AbortController();
    const { model, log } = fakeModel(TINY, undefined, {
      onNext: (call) => call === 10 && controller.abort(),
    });
    const promise = generate(model, { signal: controller.signal });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(log.calls).toHaveLength(10);
    expect(log.disposed).toBe(1);
  });

  it('rejects before creating a decoder when already aborted', async () => {
    const { model, log } = fakeModel(TINY);
    await expect(generate(model, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(log.created).toEqual([]);
  });

  it("rejects with the signal's own reason when the caller gave one, like fetch", async () => {
    const controller = new AbortController();
    const reason = new Error('user closed the tab');
    const { model, log } = fakeModel(TINY, undefined, {
      onNext: (call) => call === 3 && controller.abort(reason),
    });
    await expect(generate(model, { signal: controller.signal })).rejects.toBe(reason);
    expect(log.disposed).toBe(1);
  });

  it('disposes the decoder when a callback throws', async () => {
    const { model, log } = fakeModel(TINY);
    const boom = new Error('boom');
    await expect(
      generate(model, {
        onToken: () => {
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(log.disposed).toBe(1);
  });
});

describe('generate: validation happens before any decoder is created', () => {
  const bad: [string, Parameters<typeof generate>[1], RegExp][] = [
    ['missing SOS', { prompt: [[1, 2]] }, /prompt\[0\]\[0\].*SOS token 16/],
    ['empty row', { prompt: [[]] }, /prompt\[0\]\[0\]/],
    ['SOS after position 0', { prompt: [[SOS, 1, SOS]] }, /prompt\[0\]\[2\].*only appear at position 0/],
    ['pixel id out of range', { prompt: [[SOS, 17]] }, /prompt\[0\]\[1\].*\[0, 15\]/],
    ['negative pixel id', { prompt: [[SOS, -1]] }, /prompt\[0\]\[1\]/],
    ['non-integer id', { prompt: [[SOS, 1.5]] }, /prompt\[0\]\[1\]/],
    ['a row that is not an array', { prompt: [[SOS], 3 as never] }, /prompt\[1\]: expected an array/],
    [
      'maxNewTokens past the image',
      { prompt: [[SOS, 1, 2]], maxNewTokens: 63 },
      /maxNewTokens.*prompt\[0\] has 3 tokens/,
    ],
    ['maxNewTokens negative', { maxNewTokens: -1 }, /maxNewTokens/],
    ['no rows', { prompt: [] }, /prompt: expected at least one row/],
    ['prefix longer than the image', { prompt: [[SOS, ...new Array<number>(65).fill(0)]] }, /at most 65/],
    [
      'prefix longer than maxLength',
      { prompt: [[SOS, 1, 2]], maxLength: 2 },
      /prompt\[0\].*longer than maxLength 2/,
    ],
    ['maxLength beyond the image', { maxLength: 66 }, /maxLength.*\[1, 65\]/],
    ['maxLength zero', { maxLength: 0 }, /maxLength/],
    ['batchSize mismatch', { prompt: [[SOS]], batchSize: 2 }, /batchSize/],
    ['a hundred million rows', { batchSize: 1e8 }, /100000000 rows, over 4096 in one call/],
    [
      'rows × sequences over the bound',
      { batchSize: 100, numReturnSequences: 50, doSample: true },
      /5000 rows, over 4096/,
    ],
    ['greedy with numReturnSequences', { numReturnSequences: 2 }, /numReturnSequences.*greedy/],
    ['temperature 0', { doSample: true, temperature: 0 }, /temperature/],
    ['topP above 1', { doSample: true, topP: 1.2 }, /topP/],
    ['topK negative', { doSample: true, topK: -1 }, /topK/],
    ['unsafe seed', { doSample: true, seed: 0.5 }, /seed/],
  ];
  for (const [label, options, message] of bad) {
    it(label, async () => {
      const { model, log } = fakeModel(TINY);
      const error = await generate(model, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GenerationError);
      expect((error as Error).message).toMatch(message);
      expect(log.created).toEqual([]);
    });
  }

  it('checks that the decoder honours its batch size and logits shape', async () => {
    const wrongBatch: GenerativeModel = {
      config: TINY,
      createDecoder: (b) => ({ ...fakeModel(TINY).model.createDecoder(b), batchSize: b + 1 }),
    };
    await expect(generate(wrongBatch)).rejects.toThrow(/batch size 2/);
    let disposed = 0;
    const shortLogits: GenerativeModel = {
      config: TINY,
      createDecoder: (b) => ({
        batchSize: b,
        length: 0,
        next: async () => new Float32Array(3),
        dispose: () => {
          disposed++;
        },
      }),
    };
    await expect(generate(shortLogits)).rejects.toThrow(/next\(\) returned 3 logits, expected 1 × 16/);
    expect(disposed).toBe(1);
  });
});
