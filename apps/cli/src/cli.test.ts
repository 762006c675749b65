import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { igpt, json, mnistFolders, REPO, tempDir } from './test-utils.js';

const MODEL_CARD = { accuracy: 0.948, natsPerToken: 0.4659 };

let mnist: { train: string; test: string };
let testImages: { path: string; label: number }[];

beforeAll(() => {
  mnist = mnistFolders(tempDir('igpt-mnist-'), 20);
  testImages = [];
  for (let label = 0; label <= 9; label++) {
    const dir = join(mnist.test, String(label));
    for (const f of readdirSync(dir).sort()) testImages.push({ path: join(dir, f), label });
  }
}, 120_000);

describe('igpt generate', () => {
  it('is deterministic for a seed and writes a PNG grid', () => {
    const dir = tempDir();
    const runs = [1, 2].map((i) =>
      json<{ out: string; seed: number }>(
        igpt([
          'generate',
          '--n',
          '2',
          '--seed',
          '7',
          '--out',
          join(dir, `g${i}.png`),
          '--save-tokens',
          join(dir, `t${i}.json`),
          '--json',
        ]),
      ),
    );
    expect(runs[0]!.seed).toBe(7);
    const t1 = JSON.parse(readFileSync(join(dir, 't1.json'), 'utf8'));
    const t2 = JSON.parse(readFileSync(join(dir, 't2.json'), 'utf8'));
    expect(t1.tokens).toEqual(t2.tokens);
    expect(t1.tokens).toHaveLength(2);
    expect(t1.tokens[0]).toHaveLength(256);
    expect(t1.tokens.flat().every((t: number) => t >= 0 && t < 16)).toBe(true);
    expect(readFileSync(join(dir, 'g1.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(dir, 'g1.png'))).toEqual(readFileSync(join(dir, 'g2.png')));
  });

  it('--greedy with several images gives the argmax image for each', () => {
    const dir = tempDir();
    json(
      igpt([
        'generate',
        '--greedy',
        '--n',
        '2',
        '--out',
        join(dir, 'g.png'),
        '--save-tokens',
        join(dir, 't.json'),
        '--json',
      ]),
    );
    const { tokens } = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toEqual(tokens[1]);
  });

  it('prints the random seed it used when none is given', () => {
    const dir = tempDir();
    const run = igpt(['generate', '--n', '1', '--out', join(dir, 'g.png')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/seed \d+/);
  });
});

describe('igpt complete', () => {
  it('keeps the given rows exactly', () => {
    const dir = tempDir();
    const image = testImages[300]!.path;
    const out = json<{ rows: number; results: { kept: number[]; completions: number[][] }[] }>(
      igpt([
        'complete',
        image,
        '--rows',
        '6',
        '--n',
        '3',
        '--seed',
        '1',
        '--out',
        join(dir, 'c.png'),
        '--json',
      ]),
    );
    expect(out.rows).toBe(6);
    const [result] = out.results;
    expect(result!.kept).toHaveLength(6 * 16);
    expect(result!.completions).toHaveLength(3);
    for (const c of result!.completions) {
      expect(c).toHaveLength(256);
      expect(c.slice(0, 96)).toEqual(result!.kept);
    }
    // The kept pixels are the image's own tokens: features of the same digit agree.
    const again = json<{ results: { kept: number[] }[] }>(
      igpt([
        'complete',
        image,
        '--rows',
        '6',
        '--n',
        '1',
        '--seed',
        '2',
        '--out',
        join(dir, 'd.png'),
        '--json',
      ]),
    );
    expect(again.results[0]!.kept).toEqual(result!.kept);
  });
});

describe('the model card figures on the 1,000 held-out digits', () => {
  it('classify reaches 94.8% within 1 point', () => {
    const run = json<{ label: string }[]>(
      igpt(['classify', ...testImages.map((t) => t.path), '--json', '--top', '1']),
    );
    expect(run).toHaveLength(1000);
    const correct = run.filter((r, i) => r.label === String(testImages[i]!.label)).length;
    const accuracy = correct / 1000;
    console.log(
      `classify accuracy on 1,000 held-out digits: ${(accuracy * 100).toFixed(1)}% (model card ${MODEL_CARD.accuracy * 100}%)`,
    );
    expect(Math.abs(accuracy - MODEL_CARD.accuracy)).toBeLessThanOrEqual(0.01);
  });

  it('eval gives 0.4659 nats per token within 1%', () => {
    const run = json<{ natsPerToken: number; bitsPerToken: number; images: number }>(
      igpt(['eval', mnist.test, '--json']),
    );
    console.log(
      `eval on 1,000 held-out digits: ${run.natsPerToken.toFixed(4)} nats/token, ${run.bitsPerToken.toFixed(4)} bits/token`,
    );
    expect(run.images).toBe(1000);
    expect(Math.abs(run.natsPerToken / MODEL_CARD.natsPerToken - 1)).toBeLessThanOrEqual(0.01);
    expect(run.bitsPerToken).toBeCloseTo(run.natsPerToken / Math.LN2, 6);
  });
});

describe('igpt probe', () => {
  it('runs end to end on a small subset and plots accuracy by layer', () => {
    const dir = tempDir();
    const out = json<{ layers: { layer: number; accuracy: number }[]; out: string }>(
      igpt([
        'probe',
        '--train',
        mnist.train,
        '--test',
        mnist.test,
        '--limit',
        '20',
        '--out',
        join(dir, 'probe.png'),
        '--json',
      ]),
    );
    expect(out.layers.map((l) => l.layer)).toEqual([0, 1, 2, 3, 4]);
    // Deep layers separate digits far better than the embeddings (model card: 35% vs 94%).
    expect(out.layers[4]!.accuracy).toBeGreaterThan(0.7);
    expect(out.layers[4]!.accuracy).toBeGreaterThan(out.layers[0]!.accuracy);
    expect(existsSync(out.out)).toBe(true);
  });
});

describe('igpt info, features, palette, export', () => {
  it('info shows the embedded model', () => {
    const out = json<{ parameters: number }>(igpt(['info', '--json']));
    expect(out.parameters).toBe(829_184);
  });

  it('features gives n_embd values per image', () => {
    const rows = json<{ features: number[] }[]>(
      igpt(['features', testImages[0]!.path, testImages[1]!.path, '--layer', '2', '--json']),
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]!.features).toHaveLength(128);
    expect(rows[0]!.features).not.toEqual(rows[1]!.features);
  });

  it('palette writes a preprocessor_config.json with k clusters', () => {
    const dir = tempDir();
    const out = join(dir, 'pre.json');
    json(igpt(['palette', join(mnist.test, '3'), '--k', '8', '--size', '16', '--out', out, '--json']));
    const config = JSON.parse(readFileSync(out, 'utf8'));
    expect(config.clusters).toHaveLength(8);
  });

  it('export writes an ONNX model', () => {
    const dir = tempDir();
    const out = join(dir, 'm.onnx');
    json(igpt(['export', '--out', out, '--json']));
    expect(readFileSync(out).length).toBeGreaterThan(3_000_000);
  });
});

describe('errors are one clear line with exit code 1', () => {
  const oneLine = (stderr: string) => stderr.trim().split('\n');

  it.each([
    ['a missing image', ['classify', 'no-such.png'], /no-such\.png: no such file/],
    ['a bad flag', ['generate', '--bogus'], /unknown option '--bogus'/],
    ['a bad value', ['generate', '--n', 'many'], /--n must be an integer/],
    ['a directory without a model', ['generate', '--model', REPO], /not a model folder/],
    ['a missing model directory', ['info', '--model', '/no/such/dir'], /no such directory/],
  ])('%s', (_, args, message) => {
    const run = igpt(args as string[]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(message as RegExp);
  });

  it('an unreadable image', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.png');
    writeFileSync(bad, 'not a png at all');
    const run = igpt(['classify', bad]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain('bad.png');
  });

  it('--verbose adds the stack', () => {
    const run = igpt(['classify', 'no-such.png', '--verbose']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').length).toBeGreaterThan(1);
  });
});

describe('output files', () => {
  it('an existing file is not overwritten without --force', () => {
    const dir = tempDir();
    const out = join(dir, 'keep.png');
    writeFileSync(out, 'precious');
    const run = igpt(['generate', '--n', '1', '--seed', '1', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['keep.png']);
    expect(igpt(['generate', '--n', '1', '--seed', '1', '--out', out, '--force']).code).toBe(0);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
  });

  it('parent folders are created', () => {
    const dir = tempDir();
    const out = join(dir, 'a', 'b', 'g.png');
    expect(igpt(['generate', '--n', '1', '--seed', '1', '--out', out]).code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
