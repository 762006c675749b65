// What the built CLI does to the file system: it writes the outputs asked for and nothing else
// (not in the working folder, not in HOME or TMPDIR), never replaces a file without --force, and
// writes through a temporary file beside the target, so a failure or a kill mid-write never leaves
// a partial file at the target path.
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, tempDir } from './test-utils.js';

interface Sandbox {
  /** Working folder of the run. */
  cwd: string;
  /** HOME and TMPDIR of the run, so writes to caches or temp files would show. */
  home: string;
  tmp: string;
}

/** Every temporary folder made here, removed after the file's tests. */
const made: string[] = [];

function sandbox(): Sandbox {
  const root = tempDir('igpt-files-');
  made.push(root);
  const box = { cwd: join(root, 'work'), home: join(root, 'home'), tmp: join(root, 'tmp') };
  for (const dir of Object.values(box)) mkdirSync(dir);
  return box;
}

function env(box: Sandbox): NodeJS.ProcessEnv {
  return { ...process.env, HOME: box.home, TMPDIR: box.tmp, TMP: box.tmp, TEMP: box.tmp, FORCE_COLOR: '0' };
}

/** Every file under `dir` (relative path → size and mtime), so any new or touched file shows. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stat = statSync(path);
        files.set(relative(dir, path), `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}

/** Files in the working folder, as `cwd/<path>`. HOME and TMPDIR have their own test below. */
function allFiles(box: Sandbox, areas: (keyof Sandbox)[] = ['cwd']): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of areas)
    for (const [path, stamp] of snapshot(box[name])) out.set(`${name}/${path}`, stamp);
  return out;
}

/** Files created or changed between two snapshots. */
function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after]
    .filter(([path, stamp]) => before.get(path) !== stamp)
    .map(([path]) => path)
    .sort();
}

function run(box: Sandbox, args: string[], nodeArgs: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd: box.cwd,
    env: env(box),
    encoding: 'utf8',
    timeout: 120_000,
  });
}

function expectOk(r: SpawnSyncReturns<string>): void {
  if (r.status !== 0) throw new Error(`igpt exited ${r.status} (${r.signal ?? 'no signal'}): ${r.stderr}`);
}

/** The CLI's error contract: exit 1 and exactly one line on stderr, naming the file. */
function expectOneLineError(r: SpawnSyncReturns<string>, pattern: RegExp): void {
  expect(r.status).toBe(1);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^igpt: /);
  expect(lines[0]).toMatch(pattern);
}

const isPng = (bytes: Buffer) => bytes.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));

/** A digit-like 16x16 grey PNG, written where a command can read it. */
async function writeDigit(path: string, seed: number): Promise<void> {
  const data = Buffer.alloc(16 * 16);
  for (let y = 3; y < 13; y++) for (let x = 5 + (seed % 3); x < 9 + (seed % 3); x++) data[y * 16 + x] = 255;
  await sharp(data, { raw: { width: 16, height: 16, channels: 1 } })
    .png()
    .toFile(path);
}

/**
 * A preload that makes the CLI's output write fail half-way: the first FileHandle.writeFile writes
 * half its bytes, then either throws (a full disk) or, with IGPT_HANG, reports on stderr and hangs
 * so the test can kill the process mid-write.
 */
const FAULT_PRELOAD = `
import { open } from 'node:fs/promises';
const probe = await open(process.execPath, 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
const writeFile = proto.writeFile;
let armed = true;
proto.writeFile = async function (data, options) {
  if (!armed) return writeFile.call(this, data, options);
  armed = false;
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  await this.write(bytes.subarray(0, bytes.length >> 1));
  await this.sync();
  if (process.env.IGPT_HANG) {
    process.stderr.write('FAULT: half written\\n');
    await new Promise(() => setInterval(() => {}, 1000));
  }
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};
`;

let inputs: string;

beforeAll(async () => {
  inputs = tempDir('igpt-files-inputs-');
  made.push(inputs);
  for (let i = 0; i < 3; i++) await writeDigit(join(inputs, `digit-${i}.png`), i);
  writeFileSync(join(inputs, 'fault.mjs'), FAULT_PRELOAD);
}, 60_000);

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('the CLI writes only what it is asked to', () => {
  it('generate: the PNG and the tokens file, with parent folders, and nothing else in the working folder', () => {
    const box = sandbox();
    const before = allFiles(box);
    expectOk(
      run(box, [
        'generate',
        '--n',
        '2',
        '--seed',
        '3',
        '--out',
        'out/deep/grid.png',
        '--save-tokens',
        'tokens.json',
      ]),
    );
    expect(changed(before, allFiles(box))).toEqual(['cwd/out/deep/grid.png', 'cwd/tokens.json']);
    expect(isPng(readFileSync(join(box.cwd, 'out/deep/grid.png')))).toBe(true);
    expect(JSON.parse(readFileSync(join(box.cwd, 'tokens.json'), 'utf8')).tokens).toHaveLength(2);
  }, 120_000);

  it('generate with no --out: generated.png in the working folder only', () => {
    const box = sandbox();
    const before = allFiles(box);
    expectOk(run(box, ['generate', '--n', '1', '--seed', '1']));
    expect(changed(before, allFiles(box))).toEqual(['cwd/generated.png']);
  }, 120_000);

  it('complete, features, palette and export: each writes exactly its --out', () => {
    const box = sandbox();
    const digits = [0, 1, 2].map((i) => join(inputs, `digit-${i}.png`));
    const cases: [string[], string][] = [
      [['complete', digits[0]!, '--n', '1', '--seed', '1', '--out', 'c.png'], 'cwd/c.png'],
      [['features', ...digits, '--out', 'f/feats.safetensors'], 'cwd/f/feats.safetensors'],
      [['palette', inputs, '--k', '2', '--size', '4', '--out', 'p.json'], 'cwd/p.json'],
      [['export', '--out', 'm.onnx'], 'cwd/m.onnx'],
    ];
    for (const [args, expected] of cases) {
      const before = allFiles(box);
      expectOk(run(box, args));
      expect(changed(before, allFiles(box))).toEqual([expected]);
    }
    // Reading inputs leaves them untouched.
    expect(changed(snapshot(inputs), snapshot(inputs))).toEqual([]);
  }, 240_000);

  it('nothing lands in HOME or TMPDIR: no caches, no runtime telemetry files', () => {
    // onnxruntime-node 1.30 on Linux writes a telemetry device id under ~/.cache/Microsoft and a
    // session file and debug log in TMPDIR unless ORT_DISABLE_TELEMETRY is set; the CLI must not.
    const box = sandbox();
    const areas: (keyof Sandbox)[] = ['cwd', 'home', 'tmp'];
    const before = allFiles(box, areas);
    expectOk(run(box, ['generate', '--n', '1', '--seed', '1', '--out', 'g.png']));
    expect(changed(before, allFiles(box, areas))).toEqual(['cwd/g.png']);
  }, 120_000);

  it('commands that only report (info, eval, classify --json) write nothing at all', () => {
    const box = sandbox();
    const before = allFiles(box);
    for (const args of [['info'], ['eval', inputs], ['classify', join(inputs, 'digit-0.png'), '--json']])
      expectOk(run(box, args));
    expect(changed(before, allFiles(box))).toEqual([]);
  }, 120_000);
});

describe('the CLI refuses input paths that are not image files', () => {
  it.skipIf(process.platform === 'win32')(
    '/dev/zero and a FIFO: exit 1 with one line, at once, nothing written',
    () => {
      const box = sandbox();
      const fifo = join(box.cwd, 'pipe.png');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const before = allFiles(box);
      for (const path of ['/dev/zero', fifo]) {
        const started = performance.now();
        const r = run(box, ['classify', path]);
        expectOneLineError(r, /not a regular file/);
        // Reading /dev/zero would never end; opening the FIFO would block until a writer came.
        expect(performance.now() - started).toBeLessThan(30_000);
      }
      expect(changed(before, allFiles(box))).toEqual([]);
    },
    120_000,
  );
});

describe('the CLI never overwrites without --force', () => {
  it('an existing --out is left byte for byte, with exit 1 and one line naming it', () => {
    const box = sandbox();
    const target = join(box.cwd, 'grid.png');
    writeFileSync(target, 'precious, not a PNG');
    const before = allFiles(box);
    for (const command of [
      ['generate', '--n', '1', '--seed', '1', '--out', 'grid.png'],
      ['complete', join(inputs, 'digit-0.png'), '--n', '1', '--seed', '1', '--out', 'grid.png'],
      ['export', '--out', 'grid.png'],
      // bench refuses before it measures, so this is quick.
      ['bench', '--quick', '--out', 'grid.png'],
    ]) {
      expectOneLineError(run(box, command), /grid\.png already exists; pass --force/);
      expect(readFileSync(target, 'utf8')).toBe('precious, not a PNG');
      expect(changed(before, allFiles(box))).toEqual([]);
    }
  }, 120_000);

  it('refuses before writing anything when any one of several outputs exists', () => {
    const box = sandbox();
    writeFileSync(join(box.cwd, 'tokens.json'), 'old tokens');
    const before = allFiles(box);
    const r = run(box, [
      'generate',
      '--n',
      '1',
      '--seed',
      '1',
      '--out',
      'new.png',
      '--save-tokens',
      'tokens.json',
    ]);
    expectOneLineError(r, /tokens\.json already exists; pass --force/);
    expect(readFileSync(join(box.cwd, 'tokens.json'), 'utf8')).toBe('old tokens');
    // A failed command must not leave half its results behind (new.png without its tokens).
    expect(changed(before, allFiles(box))).toEqual([]);
  }, 120_000);

  it('--force replaces the file with a complete PNG and leaves no temporary file', () => {
    const box = sandbox();
    writeFileSync(join(box.cwd, 'grid.png'), 'old');
    expectOk(run(box, ['generate', '--n', '1', '--seed', '1', '--out', 'grid.png', '--force']));
    expect(isPng(readFileSync(join(box.cwd, 'grid.png')))).toBe(true);
    expect([...snapshot(box.cwd).keys()]).toEqual(['grid.png']);
  }, 120_000);
});

describe('the CLI writes atomically', () => {
  it('a write failing half-way leaves no file at the target and no temporary file, exit 1, one line', () => {
    const box = sandbox();
    const before = allFiles(box);
    const r = run(
      box,
      ['generate', '--n', '1', '--seed', '1', '--out', 'grid.png'],
      ['--import', join(inputs, 'fault.mjs')],
    );
    expectOneLineError(r, /ENOSPC/);
    expect(changed(before, allFiles(box))).toEqual([]);
  }, 120_000);

  it('a write failing half-way with --force keeps the old file intact', () => {
    const box = sandbox();
    writeFileSync(join(box.cwd, 'grid.png'), 'previous grid');
    const r = run(
      box,
      ['generate', '--n', '1', '--seed', '1', '--out', 'grid.png', '--force'],
      ['--import', join(inputs, 'fault.mjs')],
    );
    expectOneLineError(r, /ENOSPC/);
    expect(readFileSync(join(box.cwd, 'grid.png'), 'utf8')).toBe('previous grid');
    expect([...snapshot(box.cwd).keys()]).toEqual(['grid.png']);
  }, 120_000);

  it('killed mid-write: the target holds the old bytes or nothing; only a temp file beside it remains', async () => {
    for (const existing of [undefined, 'previous grid']) {
      const box = sandbox();
      const target = join(box.cwd, 'out', 'grid.png');
      if (existing !== undefined) {
        mkdirSync(join(box.cwd, 'out'));
        writeFileSync(target, existing);
      }
      const child = spawn(
        process.execPath,
        [
          '--import',
          join(inputs, 'fault.mjs'),
          BIN,
          'generate',
          '--n',
          '1',
          '--seed',
          '1',
          '--out',
          'out/grid.png',
          '--force',
        ],
        { cwd: box.cwd, env: { ...env(box), IGPT_HANG: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const exit = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_, signal) => resolve(signal)),
      );
      await new Promise<void>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          if (err.includes('FAULT: half written')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`igpt exited ${code} before the write: ${err}`)));
      });
      child.kill('SIGKILL');
      expect(await exit).toBe('SIGKILL');
      const left = [...snapshot(join(box.cwd, 'out')).keys()];
      // The half-written bytes are in a hidden temp file named after the target, never at the target.
      const temps = left.filter((name) => name !== 'grid.png');
      expect(temps).toHaveLength(1);
      expect(temps[0]).toMatch(/^\.grid\.png\.[0-9a-f]+\.tmp$/);
      if (existing === undefined) expect(left).not.toContain('grid.png');
      else expect(readFileSync(target, 'utf8')).toBe(existing);
    }
  }, 120_000);
});
