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
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  tty: process.stderr.isTTY === true,
};

/** Prints either JSON (with --json) or human lines. */
export function report(io: Io, options: GlobalOptions, json: unknown, lines: () => string[]): void {
  if (options.json) io.out(JSON.stringify(json, null, 2));
  else for (const line of lines()) io.out(line);
}
