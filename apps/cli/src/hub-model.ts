import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isRepoId } from '@imagegpt/core/hub';
import { downloadModel, type HubDownloadProgress, type HubSnapshot } from '@imagegpt/node';
import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import type { Io } from './context.js';
import { type Progress, progressBar } from './progress.js';

/**
 * Whether a `--model` value names a hub repo rather than a folder: it has a repo id's shape and
 * no folder of that name exists (a local folder wins, as in transformers).
 */
export function isHubModel(value: string): boolean {
  return isRepoId(value) && !value.startsWith('.') && !existsSync(resolve(value));
}

/** Downloads a hub model into the hub cache, with a byte progress bar per file on a terminal. */
export async function fetchHubModel(
  io: Io,
  id: string,
  options: { revision?: string; json?: boolean },
): Promise<HubSnapshot> {
  let bar: { file: string; progress: Progress } | undefined;
  const onProgress = (e: HubDownloadProgress) => {
    if (bar?.file !== e.file) {
      bar?.progress.stop();
      bar = { file: e.file, progress: progressBar(io, options.json !== true, `download ${e.file}`, e.total) };
    }
    bar.progress.update(e.loaded);
  };
  try {
    return await downloadModel(id, {
      ...(options.revision === undefined ? {} : { revision: options.revision }),
      onProgress,
      onWarning: (message) => io.err(`igpt: warning: ${message}`),
    });
  } finally {
    bar?.progress.stop();
  }
}

/** What a --model hub id resolved to, kept beside the folder it became (for queue jobs). */
export interface HubModelFlag {
  readonly repo: string;
  readonly commit: string;
}

/**
 * Before a command runs: a `--model` that names a hub repo (with `--revision`, default `main`) is
 * downloaded into the hub cache, or found there, and replaced by its snapshot folder, so every
 * command reads a plain model folder (and `hubModel` keeps the id and commit, which queue jobs
 * carry instead of a path). `--revision` without a hub id is refused.
 */
export async function resolveModelFlag(command: Command, io: Io): Promise<void> {
  if (!command.options.some((o) => o.long === '--model')) return;
  const { model, revision, json } = command.opts<{ model?: string; revision?: string; json?: boolean }>();
  if (model === undefined || !isHubModel(model)) {
    if (revision !== undefined) {
      throw new CliError(
        `--revision applies to a hub id; --model ${model ?? '(the embedded model)'} is ${model === undefined ? 'not from the hub' : 'a local folder'}`,
      );
    }
    return;
  }
  const snapshot = await fetchHubModel(io, model, {
    ...(revision === undefined ? {} : { revision }),
    json: json === true,
  });
  command.setOptionValue('model', snapshot.folder);
  command.setOptionValue('hubModel', { repo: snapshot.repo, commit: snapshot.commit } satisfies HubModelFlag);
}
