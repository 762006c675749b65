import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { igpt, json, mnistFolders, tempDir } from './test-utils.js';

// igpt train-head on a few MNIST digits (the repository's own folder script, 12 per class): HF's
// classifier head fitted on the embedded causal model, written as an HF folder that classify uses.
interface TrainHeadJson {
  out: string;
  files: string[];
  labels: string[];
  seed: number;
  train: { images: number; accuracy: number };
  heldOut: { images: number; accuracy: number; source: string } | null;
  fit: { iterations: number; loss: number; converged: boolean };
}

let mnist: { train: string; test: string };
beforeAll(() => {
  mnist = mnistFolders(tempDir('igpt-mnist-'), 12);
});

describe('igpt train-head', () => {
  it('fits the head on the train folder, scores the test folder and writes a classifier folder', () => {
    const out = join(tempDir(), 'head');
    const run = igpt([
      'train-head',
      '--train',
      mnist.train,
      '--test',
      mnist.test,
      '--limit',
      '12',
      '--seed',
      '4',
      '--out',
      out,
      '--json',
    ]);
    const result = json<TrainHeadJson>(run);
    expect(result.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect([result.train.images, result.heldOut?.images, result.heldOut?.source]).toEqual([120, 120, 'test']);
    expect(result.train.accuracy).toBeGreaterThan(0.9);
    // 12 digits a class: far above chance (10%).
    expect(result.heldOut!.accuracy).toBeGreaterThan(0.4);
    // The new head is announced on stderr, naming its weights.
    expect(run.stderr).toContain("['score.weight']");
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'preprocessor_config.json']);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['ImageGPTForImageClassification'],
      problem_type: 'single_label_classification',
      id2label: { 0: '0', 9: '9' },
      label2id: { 0: 0, 9: 9 },
    });

    // igpt classify reads the folder: its predictions score the test digits as train-head said.
    const tests = result.labels.flatMap((label) =>
      readdirSync(join(mnist.test, label))
        .sort()
        .slice(0, 12)
        .map((file) => ({ label, path: join(mnist.test, label, file) })),
    );
    const predictions = json<{ label: string }[]>(
      igpt(['classify', '--model', out, ...tests.map((t) => t.path), '--json']),
    );
    const correct = predictions.filter((p, i) => p.label === tests[i]!.label).length;
    expect(correct / tests.length).toBeCloseTo(result.heldOut!.accuracy, 10);

    // The same seed and data write the same weights; without --force nothing is overwritten.
    const refused = igpt([
      'train-head',
      '--train',
      mnist.train,
      '--limit',
      '12',
      '--seed',
      '4',
      '--out',
      out,
    ]);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('already exists')]);
    const weights = readFileSync(join(out, 'model.safetensors'));
    const again = igpt([
      'train-head',
      '--train',
      mnist.train,
      '--limit',
      '12',
      '--seed',
      '4',
      '--out',
      out,
      '--force',
    ]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, 'model.safetensors')).equals(weights)).toBe(true);
  });

  it('holds out a seeded share of each label; sorts numeric folder names as numbers', () => {
    const data = join(tempDir(), 'data');
    // Labels "2", "9" and "10": sorted as numbers, not as text ("10" < "2").
    for (const [digit, name] of [
      [2, '2'],
      [9, '9'],
      [1, '10'],
    ] as const) {
      mkdirSync(join(data, name), { recursive: true });
      for (const file of readdirSync(join(mnist.train, String(digit))).slice(0, 10))
        cpSync(join(mnist.train, String(digit), file), join(data, name, file));
    }
    const run = (seed: string) =>
      json<TrainHeadJson>(
        igpt([
          'train-head',
          '--train',
          data,
          '--holdout',
          '0.2',
          '--seed',
          seed,
          '--out',
          join(tempDir(), 'h'),
          '--json',
        ]),
      );
    const result = run('1');
    expect(result.labels).toEqual(['2', '9', '10']);
    expect([result.train.images, result.heldOut?.images, result.heldOut?.source]).toEqual([24, 6, 'holdout']);
    const config = JSON.parse(readFileSync(join(result.out, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: '2', 1: '9', 2: '10' });
    expect(run('1').heldOut).toEqual(result.heldOut);
  });

  it('refuses --test with --holdout, a bad share, and a train folder without label folders', () => {
    const both = igpt([
      'train-head',
      '--train',
      mnist.train,
      '--test',
      mnist.test,
      '--holdout',
      '0.1',
      '--out',
      join(tempDir(), 'x'),
    ]);
    expect([both.code, both.stderr]).toEqual([1, expect.stringContaining('--test or --holdout, not both')]);
    const share = igpt([
      'train-head',
      '--train',
      mnist.train,
      '--holdout',
      '1.5',
      '--out',
      join(tempDir(), 'x'),
    ]);
    expect([share.code, share.stderr]).toEqual([1, expect.stringContaining('--holdout')]);
    const flat = join(tempDir(), 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'a.png'), '');
    const noLabels = igpt(['train-head', '--train', flat, '--out', join(tempDir(), 'x')]);
    expect([noLabels.code, noLabels.stderr]).toEqual([
      1,
      expect.stringContaining('one sub-folder per label'),
    ]);
    expect(existsSync(join(tempDir(), 'x'))).toBe(false);
  });
});
