// A command run in a child Node process whose cost is measured from inside it: peak memory (RSS)
// and CPU time, which the parent cannot read of a child on its own. The child is started with
// --import of a small hook that writes them to a file as the process exits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The hook the child imports first: it records what the process cost when it exits. */
const HOOK = fileURLToPath(new URL('./measure-hook.mjs', import.meta.url));

/** What to run: a Node script and its arguments. */
export interface ChildSpec {
  /** The script (for example the built CLI's bin.js). */
  readonly script: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** How a measured child ended and what it cost. */
export interface ChildRun {
  /** Exit code; null when a signal ended it (then {@link signal} says which). */
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether it ran past the wall-clock limit and was killed. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time from spawn to exit, as the parent saw it. */
  readonly wallMs: number;
  /** The child's own CPU time (user + system), undefined when it was killed before it could say. */
  readonly cpuMs: number | undefined;
  /** The child's peak resident memory in bytes, undefined when it was killed before it could say. */
  readonly peakRssBytes: number | undefined;
}

/**
 * Runs `spec` in a fresh Node process, killed after `timeoutMs`, and returns its exit, output,
 * CPU time and peak RSS (`process.resourceUsage()` read in the child as it exits).
 *
 * @example
 * const run = runMeasured({ script: BIN, args: ['info', '--model', dir] }, 20_000);
 * expect(run.peakRssBytes).toBeLessThan(2 ** 30);
 */
export function runMeasured(spec: ChildSpec, timeoutMs: number): ChildRun {
  const dir = mkdtempSync(join(tmpdir(), 'igpt-measure-'));
  const report = join(dir, 'usage.json');
  try {
    const started = performance.now();
    const r = spawnSync(process.execPath, ['--import', HOOK, spec.script, ...spec.args], {
      cwd: spec.cwd,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0', ...spec.env, IGPT_MEASURE_REPORT: report },
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    const wallMs = performance.now() - started;
    let usage: { cpuMs?: number; peakRssBytes?: number } = {};
    try {
      usage = JSON.parse(readFileSync(report, 'utf8')) as typeof usage;
    } catch {
      // Killed before its exit handler ran: the cost is unknown, and the run has failed anyway.
    }
    const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
    if (r.error !== undefined && !timedOut) throw r.error;
    return {
      status: r.status,
      signal: r.signal,
      timedOut,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      wallMs,
      cpuMs: usage.cpuMs,
      peakRssBytes: usage.peakRssBytes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
