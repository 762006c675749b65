// `igpt` as a background process, for tests that run coordinators and workers side by side.
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN, REPO } from '../test-utils.js';

/** An `igpt` process running in the background. */
export interface IgptProcess {
  readonly child: ChildProcess;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** JSON objects printed one per line on stdout so far (`igpt worker --json`). */
  events(): Record<string, unknown>[];
  /** Resolves once `test` holds on the output so far; rejects if the process ends or `guardMs` passes first. */
  waitFor(what: string, test: (p: IgptProcess) => boolean, guardMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Background `igpt` processes of one test file: start them, and kill what is left after each test. */
export interface IgptProcesses {
  start(args: string[], env?: Record<string, string>): IgptProcess;
  /** Kills every process of this group still running. */
  killAll(): void;
}

/** A group of background `igpt` processes. */
export function igptProcesses(): IgptProcesses {
  const running = new Set<ChildProcess>();
  return {
    start: (args, env = {}) => startIgpt(args, env, running),
    killAll() {
      for (const child of running) child.kill('SIGKILL');
      running.clear();
    },
  };
}

function startIgpt(args: string[], env: Record<string, string>, running: Set<ChildProcess>): IgptProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    changed();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    changed();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      running.delete(child);
      changed();
      resolve({ code, signal });
    }),
  );
  const self: IgptProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    events: () =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    waitFor(what, test, guardMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (test(self)) {
            done();
            resolve();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`igpt ${args[0]} ended before ${what}:\n${err}\n${out}`));
          }
        };
        // A guard against a hang, not a timing assertion: it only turns a stuck test into a message.
        const guard = setTimeout(() => {
          done();
          reject(new Error(`igpt ${args[0]}: no ${what} after ${guardMs} ms:\n${err}\n${out}`));
        }, guardMs);
        const done = () => {
          clearTimeout(guard);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
  return self;
}
