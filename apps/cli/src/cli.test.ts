import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '@imagegpt/test-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, igpt, json, mnistFolders, REPO, tempDir } from './test-utils.js';

/** A digit shipped with the CLI, relative to the repository root (the tests' working folder). */
const DIGIT = 'apps/cli/assets/digits/0.png';

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

  it("takes sampling defaults from the model's generation_config.json; a flag given wins", () => {
    const dir = tempDir();
    const model = join(dir, 'model');
    cpSync(sharedPath('models', 'igpt-mnist-16'), model, { recursive: true });
    rmSync(join(model, 'pytorch_model.bin'));
    writeFileSync(join(model, 'generation_config.json'), JSON.stringify({ do_sample: false }));
    const run = (name: string, extra: string[]) => {
      const file = join(dir, `${name}.json`);
      json(
        igpt(
          ['generate', '--model', model, '--n', '2', '--seed', '3', '--out', join(dir, `${name}.png`)].concat(
            ['--save-tokens', file, '--json'],
            extra,
          ),
        ),
      );
      return JSON.parse(readFileSync(file, 'utf8')) as { greedy: boolean; tokens: number[][] };
    };
    const fromFile = run('file', []);
    expect(fromFile.greedy).toBe(true);
    expect(fromFile.tokens[0]).toEqual(fromFile.tokens[1]);
    const flagged = run('flag', ['--temperature', '1']);
    expect(flagged.greedy).toBe(false);
    expect(flagged.tokens[0]).not.toEqual(flagged.tokens[1]);
  });

  it('images depend on the seed alone: the same for any --batch, and seeds 3 and 4 share none', () => {
    const dir = tempDir();
    const tokens = (seed: number, batch: number): number[][] => {
      const file = join(dir, `t-${seed}-${batch}.json`);
      json(
        igpt([
          'generate',
          '--n',
          '4',
          '--seed',
          String(seed),
          '--batch',
          String(batch),
          '--out',
          join(dir, `g-${seed}-${batch}.png`),
          '--save-tokens',
          file,
          '--json',
        ]),
      );
      return JSON.parse(readFileSync(file, 'utf8')).tokens;
    };
    const one = tokens(3, 1);
    expect(new Set(one.map((t) => t.join())).size).toBe(4);
    expect(tokens(3, 2)).toEqual(one);
    expect(tokens(3, 4)).toEqual(one);
    // With a seed per batch, seed 4 used to redraw seed 3's second image.
    const seed3 = new Set(one.map((t) => t.join()));
    expect(tokens(4, 1).filter((t) => seed3.has(t.join()))).toEqual([]);
  });

  it('--save-tokens records model, seed, greedy flag and batch independence; eval reads the file', () => {
    const dir = tempDir();
    const file = join(dir, 't.json');
    json(
      igpt([
        'generate',
        '--n',
        '2',
        '--seed',
        '5',
        '--out',
        join(dir, 'g.png'),
        '--save-tokens',
        file,
        '--json',
      ]),
    );
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({
      model: 'embedded',
      seed: 5,
      greedy: false,
      batchIndependent: true,
      batch: 2,
    });
    const run = json<{ images: number; tokens: number }>(igpt(['eval', '--tokens', file, '--json']));
    expect(run.images).toBe(2);
    expect(run.tokens).toBe(2 * 256);
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

describe('igpt complete seeds and rows', () => {
  const completions = (args: string[]): number[][][] => {
    const dir = tempDir();
    const out = json<{ results: { completions: number[][] }[] }>(
      igpt(['complete', ...args, '--out', join(dir, 'c.png'), '--json']),
    );
    return out.results.map((r) => r.completions);
  };

  it('one seed for the run: seeds 3 and 4 share no completion', () => {
    const [, second] = completions([DIGIT, DIGIT, '--n', '2', '--seed', '3']);
    const [first] = completions([DIGIT, '--n', '2', '--seed', '4']);
    // With a seed per image, seed 4's first image used to repeat seed 3's second one.
    const seed3 = new Set(second!.map((c) => c.join()));
    expect(first!.filter((c) => seed3.has(c.join()))).toEqual([]);
  });

  it('--rows 0 draws whole images from SOS, as --fraction 0 does', () => {
    const dir = tempDir();
    const out = json<{ rows: number; results: { kept: number[]; completions: number[][] }[] }>(
      igpt([
        'complete',
        DIGIT,
        '--rows',
        '0',
        '--n',
        '2',
        '--seed',
        '1',
        '--out',
        join(dir, 'c.png'),
        '--json',
      ]),
    );
    expect(out.rows).toBe(0);
    expect(out.results[0]!.kept).toEqual([]);
    expect(out.results[0]!.completions.map((c) => c.length)).toEqual([256, 256]);
    expect(completions([DIGIT, '--fraction', '0', '--n', '2', '--seed', '1'])).toEqual([
      out.results[0]!.completions,
    ]);
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

  it('palette warns when k exceeds the distinct colours, and still writes the file', () => {
    const dir = tempDir();
    const out = join(dir, 'pre.json');
    const run = igpt(['palette', 'apps/cli/assets/digits', '--k', '512', '--size', '16', '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toMatch(
      /^igpt: warning: .*digits has only \d+ distinct colours at --size 16, fewer than --k 512/,
    );
    const text = readFileSync(out, 'utf8');
    expect(JSON.parse(text).clusters).toHaveLength(512);
    // As transformers writes it: the black background's -1 is the float -1.0, and no cluster value is a bare int.
    expect(text).toMatch(/^ {6}-1\.0,?$/m);
    expect(text).not.toMatch(/^ +-?\d+,?$/m);
    // Enough colours: no warning.
    const quiet = igpt([
      'palette',
      'apps/cli/assets/digits',
      '--k',
      '4',
      '--size',
      '16',
      '--out',
      out,
      '--force',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
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
    [
      '--greedy with --temperature',
      ['generate', '--greedy', '--temperature', '0.5'],
      /'--greedy' cannot be used with option '--temperature/,
    ],
    [
      '--greedy with --top-p',
      ['generate', '--greedy', '--top-p', '0.9'],
      /'--greedy' cannot be used with option '--top-p/,
    ],
    // Checked before the images are read (a missing image would be reported otherwise).
    ['--fraction 1', ['complete', 'no-such.png', '--fraction', '1'], /--fraction must be in \[0, 1\)/],
    ['--rows past the image', ['complete', 'no-such.png', '--rows', '16'], /--rows must be between 0 and 15/],
    ['features --layer 99', ['features', 'no-such.png', '--layer', '99'], /--layer must be between 0 and 4/],
    // Checked before the folders are listed (they do not exist).
    ...(
      [
        ['4,', /--layers: empty entry in "4,"/],
        ['', /--layers: empty entry in ""/],
        ['2,2', /--layers: 2 is listed twice/],
        ['x', /--layers: "x" is not a hidden-state index/],
        ['0,5', /--layers: 5 is not a hidden-state index in 0\.\.4/],
      ] as const
    ).map(([layers, message]) => [
      `probe --layers "${layers}"`,
      ['probe', '--train', '/no/such', '--test', '/no/such', '--layers', layers],
      message,
    ]),
    [
      'probe --l2 abc',
      ['probe', '--train', '/no/such', '--test', '/no/such', '--l2', 'abc'],
      /--l2 must be a number >= 0, got "abc"/,
    ],
    [
      'probe --l2 -1',
      ['probe', '--train', '/no/such', '--test', '/no/such', '--l2', '-1'],
      /--l2 must be a number >= 0/,
    ],
  ])('%s', (_, args, message) => {
    const run = igpt(args as string[]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(message as RegExp);
  });

  it('`pnpm igpt` resolves relative paths where the user typed it (INIT_CWD), not at the root', () => {
    const dir = tempDir();
    const run = igpt(['generate', '--n', '1', '--seed', '1', '--out', 'here.png'], {
      env: { npm_lifecycle_event: 'igpt', INIT_CWD: dir },
    });
    expect(run.code).toBe(0);
    expect(existsSync(join(dir, 'here.png'))).toBe(true);
    expect(existsSync(join(REPO, 'here.png'))).toBe(false);
  });

  it('weights that do not fit config.json: one line that counts the list --verbose shows', () => {
    const dir = tempDir();
    for (const f of ['model.safetensors']) copyFileSync(sharedPath('golden', 'tiny-causal', f), join(dir, f));
    const config = JSON.parse(readFileSync(sharedPath('golden', 'tiny-causal', 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, n_layer: config.n_layer + 1 }));
    const run = igpt(['generate', '--model', dir, '--out', join(dir, 'x.png')]);
    expect(run.code).toBe(1);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/weights do not match the model: 10 missing \(10 more lines with --verbose\)/);
    const verbose = igpt(['generate', '--model', dir, '--out', join(dir, 'x.png'), '--verbose']);
    expect(verbose.stderr).toContain('missing: transformer.h.2.ln_1.weight (expected [32])');
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

  it('eval --tokens: a non-empty list of whole images of valid ids, else the file and row are named', () => {
    const dir = tempDir();
    const image = Array.from({ length: 256 }, (_, i) => i % 16);
    const cases: [string, unknown, RegExp][] = [
      ['short', { tokens: [[1, 2, 3]] }, /short\.json: tokens\[0\] has 3 ids, expected 256/],
      ['mixed', { tokens: [image, image.slice(1)] }, /mixed\.json: tokens\[1\] has 255 ids, expected 256/],
      ['long', [image, [...image, 0]], /long\.json: tokens\[1\] has 257 ids, expected 256/],
      ['empty', { tokens: [] }, /empty\.json: "tokens" is empty/],
      [
        'sos',
        { tokens: [image, [16, ...image.slice(1)]] },
        /sos\.json: tokens\[1\]\[0\] is 16, expected a pixel id in 0\.\.15/,
      ],
      ['shape', { tokens: 'abc' }, /shape\.json: expected \{ "tokens": number\[\]\[\] \}/],
    ];
    for (const [name, content, message] of cases) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(content));
      const run = igpt(['eval', '--tokens', file]);
      expect(run.code, name).toBe(1);
      expect(oneLine(run.stderr), name).toHaveLength(1);
      expect(run.stderr, name).toMatch(message);
    }
    const ok = join(dir, 'ok.json');
    writeFileSync(ok, JSON.stringify([image]));
    expect(json<{ images: number }>(igpt(['eval', '--tokens', ok, '--json'])).images).toBe(1);
  });

  it('no command: the usage on stderr, exit 1; `igpt help` exits 0', () => {
    const run = igpt([]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: igpt/);
    const help = igpt(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: igpt/);
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

/**
 * Runs `igpt ...args` with a reader on `stream` that goes away early: before any output
 * (`afterChunks` 0), or after the first chunk, as `| head -1` does. The other stream is captured.
 */
function closedPipe(
  args: string[],
  stream: 'stdout' | 'stderr',
  afterChunks: 0 | 1,
): Promise<{ code: number | null; signal: string | null; other: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const closing = child[stream];
  if (afterChunks === 0) closing.destroy();
  else closing.once('data', () => closing.destroy());
  let other = '';
  child[stream === 'stdout' ? 'stderr' : 'stdout'].on('data', (chunk: Buffer) => {
    other += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, other })));
}

describe('a reader that goes away early (igpt ... | head -1)', () => {
  it.each([
    ['--help', ['--help'], 0],
    ['info', ['info'], 0],
    ['info, after the first chunk', ['info'], 1],
    ['classify --json', ['classify', DIGIT, '--json'], 0],
  ] as const)('stdout closed: %s exits 0 with nothing on stderr', async (_, args, afterChunks) => {
    const r = await closedPipe([...args], 'stdout', afterChunks);
    expect(r.other).toBe('');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
  });

  it('through a shell: `igpt --help | head -1` and `igpt info | head -5`', () => {
    for (const [command, lines] of [
      ['--help', 1],
      ['info', 5],
    ] as const) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" ${command} | head -${lines}`], {
        cwd: REPO,
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trimEnd().split('\n')).toHaveLength(lines);
    }
  });

  it('stderr closed: the command still finishes its work, quietly, with its own exit code', async () => {
    const out = join(tempDir(), 'pre.json');
    // palette warns on stderr (512 > the digits' colours), then writes its file.
    const ok = await closedPipe(
      ['palette', 'apps/cli/assets/digits', '--k', '512', '--size', '16', '--out', out],
      'stderr',
      0,
    );
    expect(ok.code).toBe(0);
    expect(ok.other).toMatch(/^wrote /);
    expect(existsSync(out)).toBe(true);
    const failed = await closedPipe(['classify', 'no-such.png'], 'stderr', 0);
    expect(failed.signal).toBeNull();
    expect(failed.code).toBe(1);
  });
});
