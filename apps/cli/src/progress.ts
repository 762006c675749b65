import cliProgress from 'cli-progress';
import type { Io } from './context.js';

/** A progress bar on stderr, shown only on a terminal and never with --json. */
export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  stop(): void;
}

/** Creates a bar for `total` units of `label`; a no-op when stderr is not a terminal. */
export function progressBar(io: Io, enabled: boolean, label: string, total: number): Progress {
  if (!enabled || !io.tty) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (v) => bar.update(v), stop: () => bar.stop() };
}
