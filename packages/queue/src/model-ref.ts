/**
 * How a job names its model, so that any worker on any machine can load it: a folder path that
 * every worker reaches (the same path everywhere, e.g. on a shared mount), a hub id with its
 * revision, or the package name of an embedded model (`@imagegpt/model-mnist-16`). The worker
 * resolves it through the same loader the `igpt` command uses, so every kind of model the CLI
 * can load, a worker can load.
 */
export interface ModelRef {
  /** An absolute folder path, a hub id (`openai/imagegpt-small`) or an embedded model's package name. */
  readonly model: string;
  /** The hub revision (a commit, tag or branch); pins what a hub id means. */
  readonly revision?: string;
  /** Weight precision, as `fromPretrained`'s `dtype` (default fp32). */
  readonly dtype?: 'fp32' | 'fp16' | 'q8' | 'q4';
}

/** A short human name of a model reference, for logs: `openai/imagegpt-small@main (q8)`. */
export function describeModel(ref: ModelRef): string {
  return `${ref.model}${ref.revision ? `@${ref.revision}` : ''}${ref.dtype ? ` (${ref.dtype})` : ''}`;
}
