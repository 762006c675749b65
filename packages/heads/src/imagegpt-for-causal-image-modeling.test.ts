import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawImage } from '@imagegpt/processor';
import { sharedPath } from '@imagegpt/test-kit';
import { folderSource } from '@imagegpt/test-kit/files';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from '../../node/src/node-backend.js';
import { HeadsError } from './heads-error.js';
import { ImageGPTForCausalImageModeling } from './imagegpt-for-causal-image-modeling.js';
import { mnistDigits } from './test-utils/mnist-digits.js';

const backend = createNodeBackend({ threads: 2 });

describe('ImageGPTForCausalImageModeling on the tiny golden model', () => {
  let model: ImageGPTForCausalImageModeling;
  beforeAll(async () => {
    model = await ImageGPTForCausalImageModeling.fromSource(folderSource(goldenCase('tiny-causal').dir), {
      backend,
    });
  });
  afterAll(() => model.dispose());

  it('matches HF logits and the causal loss (labels = input ids)', async () => {
    const golden = goldenCase('tiny-causal');
    const ids = golden.rows('input_ids');
    const { logits, loss } = await model.forward(ids, { labels: golden.rows('labels') });
    golden.expectClose('logits', logits!.data as Float32Array);
    golden.expectClose('loss', [loss!]);
  });

  it('skips −100 labels in the loss, as PyTorch does', async () => {
    const ids = goldenCase('tiny-causal').rows('input_ids');
    const first = await model.forward([ids[0]!], { labels: [ids[0]!] });
    const masked = await model.forward(ids, { labels: [ids[0]!, ids[1]!.map(() => -100)] });
    expect(masked.loss).toBeCloseTo(first.loss!, 12);
  });

  it('generates HF greedy sequences from SOS and from a 24-token prefix', async () => {
    const golden = goldenCase('tiny-generate');
    const fromSos = await model.generate({ batchSize: 2, maxLength: 65 });
    expect(fromSos.sequences).toEqual(golden.rows('greedy_sos_ids'));
    const prompt = golden.rows('greedy_prefix_prompt');
    const fromPrefix = await model.generate({ prompt, outputScores: true });
    expect(fromPrefix.sequences).toEqual(golden.rows('greedy_prefix_ids'));
    for (const [r, row] of fromPrefix.sequences.entries()) expect(row.slice(0, 24)).toEqual(prompt[r]);
    expect(fromPrefix.scores).toHaveLength(41);
    // No preprocessor_config.json in this folder: nothing to decode images with.
    expect(fromPrefix.images).toBeUndefined();
  });

  it('never samples SOS after position 0', async () => {
    const { sequences } = await model.generate({ doSample: true, temperature: 2, seed: 3, batchSize: 4 });
    expect(sequences).toHaveLength(4);
    for (const row of sequences) {
      expect(row).toHaveLength(65);
      expect(row[0]).toBe(16);
      expect(row.slice(1).every((id) => Number.isInteger(id) && id >= 0 && id < 16)).toBe(true);
    }
  });

  it('complete() keeps the top rows and continues them like generate() does', async () => {
    const pixels = goldenCase('tiny-generate')
      .rows('greedy_prefix_ids')
      .map((row) => row.slice(1));
    const [first] = await model.complete([pixels[0]!], { rows: 3 });
    expect(first!.kept).toEqual(pixels[0]!.slice(0, 24));
    expect(first!.original).toEqual(pixels[0]);
    // The golden greedy continuation of [SOS] + 23 pixels is self-consistent: keeping 24 of its
    // own pixels and continuing greedily gives the same image back.
    expect(first!.completions).toEqual([pixels[0]]);
  });

  it('nll() scores [SOS] + pixels[0:n−1] against all n pixels, the same as the HF loss', async () => {
    const golden = goldenCase('tiny-causal');
    const ids = golden.rows('input_ids');
    // The golden rows are SOS + 63 pixels; HF's loss scores those 63 tokens.
    const { nats, bits, tokens, perInput } = await model.nll(ids.map((row) => row.slice(1)));
    expect(tokens).toBe(126);
    expect(nats).toBeCloseTo(golden.f32('loss')[0]!, 5);
    expect(bits).toBeCloseTo(nats / Math.LN2, 12);
    expect(perInput).toHaveLength(2);
  });

  it('refuses inputs it cannot use, naming them', async () => {
    await expect(model.nll([[1, 2, 16]])).rejects.toThrow(/inputs\[0\]: id 2 is 16.*SOS/);
    await expect(model.complete([new Array(64).fill(0)], { rows: 8 })).rejects.toThrow(HeadsError);
    await expect(
      model.complete([{ width: 8, height: 8, channels: 3, data: new Uint8Array(192) }]),
    ).rejects.toThrow(/no preprocessor_config.json/);
  });

  it('refuses a classifier checkpoint with a pointer to the right class', async () => {
    const classify = goldenCase('tiny-classify');
    const { config } = classify;
    const checkpoint = classify.weights('safetensors');
    await expect(ImageGPTForCausalImageModeling.fromParts({ config, checkpoint, backend })).rejects.toThrow(
      /no lm_head.weight.*ImageGPTForImageClassification/,
    );
  });
});

describe('generation_config.json: its settings are the defaults of generate()', () => {
  /** tiny-causal with a generation_config.json of our own. */
  const withGenerationConfig = (json: object) => {
    const dir = mkdtempSync(join(tmpdir(), 'igpt-genconfig-'));
    cpSync(goldenCase('tiny-causal').dir, dir, { recursive: true });
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(json));
    return ImageGPTForCausalImageModeling.fromSource(folderSource(dir), { backend });
  };

  it('applies what the file sets; options given win; where it is silent our defaults stay', async () => {
    const model = await withGenerationConfig({ do_sample: true, top_k: 3, temperature: 0.5, max_length: 20 });
    try {
      expect(model.generationConfig.defaults()).toEqual({
        doSample: true,
        topK: 3,
        temperature: 0.5,
        maxLength: 20,
      });
      const fromFile = await model.generate({ seed: 4, outputScores: true });
      const explicit = await model.generate({
        seed: 4,
        doSample: true,
        topK: 3,
        temperature: 0.5,
        maxLength: 20,
      });
      expect(fromFile.sequences).toEqual(explicit.sequences);
      expect(fromFile.sequences[0]).toHaveLength(20);
      // Sampling: the scores are the warped ones, 13 of the 16 colours removed by top-k 3.
      expect(fromFile.scores![0]!.filter((v) => v === Number.NEGATIVE_INFINITY)).toHaveLength(13);
      // A length given replaces the file's; doSample false and topK null replace its sampling.
      expect((await model.generate({ seed: 4, maxNewTokens: 5 })).sequences[0]).toHaveLength(6);
      const greedy = await model.generate({ doSample: false });
      expect(greedy.sequences[0]).toHaveLength(20);
      const unfiltered = await model.generate({ seed: 4, topK: null, outputScores: true, maxLength: 3 });
      expect(unfiltered.scores![0]!.some((v) => v === Number.NEGATIVE_INFINITY)).toBe(false);
    } finally {
      await model.dispose();
    }
    const silent = await withGenerationConfig({ _from_model_config: true });
    try {
      const { sequences } = await silent.generate();
      expect(sequences[0]).toHaveLength(65);
      expect(sequences).toEqual(goldenCase('tiny-generate').rows('greedy_sos_ids').slice(0, 1));
    } finally {
      await silent.dispose();
    }
  });

  it('complete() takes its sampling settings, not its lengths', async () => {
    const model = await withGenerationConfig({ do_sample: true, top_k: 2, max_new_tokens: 3 });
    try {
      const [c] = await model.complete([Array.from({ length: 64 }, (_, i) => i % 16)], { rows: 2, seed: 1 });
      expect(c!.completions[0]).toHaveLength(64);
      const [again] = await model.complete([Array.from({ length: 64 }, (_, i) => i % 16)], {
        rows: 2,
        seed: 1,
        doSample: true,
        topK: 2,
      });
      expect(again!.completions).toEqual(c!.completions);
    } finally {
      await model.dispose();
    }
  });
});

describe('outputAttentions (golden tiny-attentions)', () => {
  const golden = goldenCase('tiny-attentions');
  /** The backend, counting the sessions it opens. */
  const counting = () => {
    let sessions = 0;
    return {
      backend: {
        ...backend,
        createSession: (...args: Parameters<typeof backend.createSession>) => {
          sessions++;
          return backend.createSession(...args);
        },
      },
      sessions: () => sessions,
    };
  };

  it("returns each layer's softmax probabilities [B,H,T,P+T] with and without a cache, as HF", async () => {
    const model = await ImageGPTForCausalImageModeling.fromSource(folderSource(golden.dir), { backend });
    try {
      const full = await model.forward(golden.rows('input_ids'), { outputAttentions: true });
      expect(full.attentions).toHaveLength(2);
      for (const [l, a] of full.attentions!.entries()) golden.expectClose(`attentions.${l}`, a);
      golden.expectClose('logits', full.logits);
      // Every query's probabilities sum to 1, and keys after it get exactly 0.
      const probs = full.attentions![0]!.data as Float32Array;
      for (let q = 0; q < 64; q++) {
        const row = probs.subarray(q * 64, (q + 1) * 64);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(row.subarray(q + 1).every((p) => p === 0)).toBe(true);
      }
      const a = await model.forward(golden.rows('split_input_ids_a'));
      expect(a.attentions).toBeUndefined();
      const b = await model.forward(golden.rows('split_input_ids_b'), {
        past: a.presents,
        outputAttentions: true,
      });
      for (const [l, t] of b.attentions!.entries()) golden.expectClose(`split_attentions_b.${l}`, t);
      golden.expectClose('split_logits_b', b.logits);
    } finally {
      await model.dispose();
    }
  });

  it('opens its own session on first use only: calls without it keep the fused prefill', async () => {
    const { backend: tracked, sessions } = counting();
    const model = await ImageGPTForCausalImageModeling.fromSource(folderSource(golden.dir), {
      backend: tracked,
      prefill: 'fused',
      decoder: 'reference',
    });
    try {
      const ids = golden.rows('input_ids');
      const opened = sessions();
      const plain = await model.forward(ids);
      expect([plain.attentions, sessions()]).toEqual([undefined, opened]);
      const withAttentions = await model.forward(ids, { outputAttentions: true });
      expect(sessions()).toBe(opened + 1);
      await model.forward(ids, { outputAttentions: true });
      expect(sessions()).toBe(opened + 1);
      golden.expectClose('attentions.1', withAttentions.attentions![1]!);
    } finally {
      await model.dispose();
    }
  });
});

describe('ImageGPTForCausalImageModeling on igpt-mnist-16', () => {
  let model: ImageGPTForCausalImageModeling;
  const testDigits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((d) => mnistDigits(d, -3, 0));
  beforeAll(async () => {
    model = await ImageGPTForCausalImageModeling.fromSource(
      folderSource(sharedPath('models', 'igpt-mnist-16')),
      {
        backend,
      },
    );
  });
  afterAll(() => model.dispose());

  it('has the test-set likelihood of the model card (≈ 0.47 nats per pixel token)', async () => {
    const { nats, bits, tokens } = await model.nll(testDigits);
    expect(tokens).toBe(30 * 256);
    // 30 test digits, not the card's 1,000, so only the ballpark of 0.4659 nats / 0.6721 bits.
    expect(nats).toBeGreaterThan(0.3);
    expect(nats).toBeLessThan(0.65);
    expect(bits).toBeCloseTo(nats / Math.LN2, 12);
  });

  it('completes the bottom half of digits and decodes 16×16 images', async () => {
    const digits = testDigits.slice(0, 2);
    const results = await model.complete(digits, { doSample: true, seed: 5, numReturnSequences: 2 });
    const ids = model.processor!.encode(digits).map((row) => Array.from(row));
    results.forEach((result, i) => {
      expect(result.original).toEqual(ids[i]);
      expect(result.kept).toEqual(ids[i]!.slice(0, 128));
      expect(result.completions).toHaveLength(2);
      for (const completion of result.completions) {
        expect(completion).toHaveLength(256);
        expect(completion.slice(0, 128)).toEqual(result.kept);
      }
      expect(result.images).toHaveLength(2);
      expect(result.images![0]).toMatchObject({ width: 16, height: 16, channels: 3 });
    });
    // The same seed draws the same images.
    const again = await model.complete(digits, { doSample: true, seed: 5, numReturnSequences: 2 });
    expect(again.map((r) => r.completions)).toEqual(results.map((r) => r.completions));
  });

  it('decodes partial generations with the missing pixels black', async () => {
    const { sequences, images } = await model.generate({ maxLength: 1 + 40, doSample: true, seed: 1 });
    expect(sequences[0]).toHaveLength(41);
    const image = images![0]!;
    expect(image).toMatchObject({ width: 16, height: 16, channels: 3 });
    const palette = [0, 15, 32, 49, 67, 85, 103, 120, 136, 152, 168, 183, 200, 216, 231, 247];
    for (let p = 0; p < 40; p++) expect(image.data[3 * p]).toBe(palette[sequences[0]![p + 1]!]);
    expect(image.data.subarray(3 * 40).every((v) => v === 0)).toBe(true);
  });

  it("onRow carries each sequence's partial image, in generate and in complete", async () => {
    const seen: { row: number; pixels: number[][]; images: RawImage[] }[] = [];
    const { images } = await model.generate({
      maxLength: 1 + 48,
      doSample: true,
      seed: 3,
      batchSize: 2,
      onRow: (e) => {
        seen.push({ row: e.row, pixels: e.pixels.map((p) => [...p]), images: e.images! });
      },
    });
    expect(seen.map((e) => e.row)).toEqual([0, 1, 2]);
    for (const { row, pixels, images: partial } of seen) {
      expect(partial).toHaveLength(2);
      for (const [i, image] of partial.entries()) {
        expect(image).toMatchObject({ width: 16, height: 16, channels: 3 });
        // The rows so far are drawn, the rest is black.
        const drawn = 16 * (row + 1) * 3;
        expect(image.data.subarray(drawn).every((v) => v === 0)).toBe(true);
        expect(pixels[i]).toHaveLength(16 * (row + 1));
      }
    }
    // After the last row, the partial images are the images generate returns.
    expect(seen.at(-1)!.images).toEqual(images);

    const rowsSeen: number[] = [];
    const [done] = await model.complete([seen.at(-1)!.pixels[0]!.concat(new Array(16 * 13).fill(0))], {
      rows: 13,
      onRow: (e) => {
        rowsSeen.push(e.row);
        expect(e.images?.[0]).toMatchObject({ width: 16, height: 16 });
      },
    });
    expect(rowsSeen).toEqual([13, 14, 15]);
    expect(done!.images).toHaveLength(1);
  });
});
