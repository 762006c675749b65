import { fileURLToPath } from 'node:url';
import { mnistCausalUrl, mnistClassifierUrl } from '@imagegpt/model-mnist-16';

/** Options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  verbose?: boolean;
  threads?: number;
  force?: boolean;
}

/** The embedded model folders, used when `--model` is not given. */
export const EMBEDDED = {
  causal: fileURLToPath(mnistCausalUrl),
  classifier: fileURLToPath(mnistClassifierUrl),
} as const;

/** Where command output goes; tests swap it to capture. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  tty: boolean;
  /** Exit code a command sets without failing (conformance: 1 fail, 2 not a case). */
  exitCode?: number;
}

export const processIo: Io = {
  out: (line) => {
    if (!process.stdout.destroyed) process.stdout.write(`${line}\n`);
  },
  err: (line) => {
    if (!process.stderr.destroyed) process.stderr.write(`${line}\n`);
  },
  tty: process.stderr.isTTY === true,
};

/**
 * Makes a reader that goes away early (`igpt info | head -5`) end the run quietly instead of with
 * an unhandled EPIPE stack. A closed stdout ends the process at once with the exit code so far (0
 * unless a command already failed), as Unix tools stop when their reader is gone. A closed stderr
 * only silences diagnostics: the command still finishes, writes its files and sets its exit code.
 */
export function quietOnClosedPipes(): void {
  const onEpipe = (stream: NodeJS.WriteStream, then: () => void) =>
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      then();
    });
  onEpipe(process.stdout, () => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0));
  onEpipe(process.stderr, () => process.stderr.destroy());
}

/** Prints either JSON (with --json) or human lines. */
export function report(io: Io, options: GlobalOptions, json: unknown, lines: () => string[]): void {
  if (options.json) io.out(JSON.stringify(json, null, 2));
  else for (const line of lines()) io.out(line);
}
