import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI entry; tests spawn it as a user would. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../../..', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `igpt ...args` and returns its exit code and output. */
export function igpt(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const why = r.error ? `spawn error: ${r.error.message}` : r.signal ? `killed by ${r.signal}` : '';
  return { code: r.status ?? -1, stdout: r.stdout, stderr: why ? `${why}\n${r.stderr}` : r.stderr };
}

/**
 * Runs `igpt ...args` without blocking this process, for tests whose server runs in this process
 * (a loopback hub) or that run several commands at once.
 */
export function igptAsync(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm build)`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: `spawn error: ${e.message}\n${stderr}` }));
    child.on('close', (code, signal) =>
      resolve({ code: code ?? -1, stdout, stderr: signal ? `killed by ${signal}\n${stderr}` : stderr }),
    );
  });
}

/** Parses the JSON printed by a `--json` run, with the output in the failure message. */
export function json<T>(run: CliRun): T {
  if (run.code !== 0) throw new Error(`igpt exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'igpt-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Writes the model card's MNIST split (test: last 100 digits of each class) as PNG folders.
 * Uses the repository's own script, as a user would.
 */
export function mnistFolders(dir: string, trainPerClass: number): { train: string; test: string } {
  const script = join(REPO, 'apps', 'cli', 'scripts', 'mnist-folders.mjs');
  const r = spawnSync(process.execPath, [script, dir, '--train-per-class', String(trainPerClass)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`mnist-folders failed: ${r.stderr}`);
  return { train: join(dir, 'train'), test: join(dir, 'test') };
}
