import { randomInt } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { readJsonText } from '@imagegpt/core/io';
import {
  downloadModel,
  GENERATION_CONFIG_FILE,
  GenerationConfig,
  IMAGE_FILE_EXTENSIONS,
  type ImageGPTConfig,
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
  type ImageGPTImageProcessor,
  loadConfig,
  loadProcessor,
  NodeFileSource,
  type RawImage,
  readImage,
  writeFileAtomic,
} from '@imagegpt/node';
import type { ModelRef, SamplingSpec } from '@imagegpt/queue';
import type { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { EMBEDDED, type GlobalOptions } from '../context.js';
import type { HubModelFlag } from '../hub-model.js';

/**
 * How a queue job names the embedded causal model: its package's name, which is neither a path nor
 * a hub id, and resolves to the package's folder on each worker wherever it is installed.
 */
export const EMBEDDED_MODEL = '@imagegpt/model-mnist-16';

/** Image file endings the CLI picks up from folders: those `readImage` decodes. */
const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(IMAGE_FILE_EXTENSIONS);

/** Checks a model folder before loading, so the error names the flag and the folder. */
export function modelDir(dir: string | undefined, kind: 'causal' | 'classifier'): string {
  if (dir === undefined) return EMBEDDED[kind];
  const full = resolve(dir);
  if (!existsSync(full)) throw new CliError(`--model ${dir}: no such directory`);
  if (!statSync(full).isDirectory()) throw new CliError(`--model ${dir}: not a directory`);
  if (!existsSync(join(full, 'config.json'))) {
    throw new CliError(
      `--model ${dir}: not a model folder (no config.json; expected a Hugging Face ImageGPT folder)`,
    );
  }
  return full;
}

/**
 * The files of --model (or of the embedded model) under the library's reading policy: what every
 * command reads a model folder through.
 */
export function modelFiles(dir: string | undefined, kind: 'causal' | 'classifier'): NodeFileSource {
  return new NodeFileSource(modelDir(dir, kind));
}

/**
 * Reads only the config.json of --model (or the embedded model), through the reading policy: cheap,
 * so flags that depend on the model's shape (layers, rows, sequence length) are checked before the
 * weights load.
 */
export async function readModelConfig(
  dir: string | undefined,
  kind: 'causal' | 'classifier',
): Promise<ImageGPTConfig> {
  return loadConfig(modelFiles(dir, kind));
}

/** How a run names its model in saved files: the --model folder, or `embedded`. */
export function modelName(dir: string | undefined): string {
  return dir === undefined ? 'embedded' : resolve(dir);
}

/**
 * Loads the causal model from --model or the embedded one. `generate` (sampling, completion)
 * opens the fast decoding session; `batch` (features, probe, eval: whole unmasked sequences)
 * opens only the fused whole-sequence session.
 */
export async function loadCausal(
  options: GlobalOptions & { model?: string },
  use: 'generate' | 'batch' = 'generate',
): Promise<ImageGPTForCausalImageModeling> {
  // The folder itself: a hub id was already fetched into the cache before the command ran.
  return loadModelRef(modelRef(options.model), use, options.threads);
}

/**
 * The reference a queue job carries for --model (or the embedded model): the hub id pinned to the
 * commit it resolved to, when --model named a hub repo (each worker fetches it into its own hub
 * cache), else an absolute folder path, so that it means the same folder on every worker that
 * mounts it at the same place.
 */
export function modelRef(dir: string | undefined, hub?: HubModelFlag): ModelRef {
  if (hub !== undefined) return { model: hub.repo, revision: hub.commit };
  return { model: dir === undefined ? EMBEDDED_MODEL : modelDir(dir, 'causal') };
}

/**
 * Loads the causal model a reference names: the one loader behind every command and every queue
 * worker, so whatever a command can load (a folder, the embedded model), a worker can.
 */
export async function loadModelRef(
  ref: ModelRef,
  use: 'generate' | 'batch',
  threads: number | undefined,
): Promise<ImageGPTForCausalImageModeling> {
  return ImageGPTForCausalImageModeling.fromPretrained(await refDir(ref), {
    threads,
    ...(ref.dtype ? { dtype: ref.dtype } : {}),
    ...(use === 'batch' ? { prefill: 'fused', decoder: 'reference' } : {}),
  });
}

/** The local folder of a model reference: a hub id with a revision comes from the hub cache. */
async function refDir(ref: ModelRef): Promise<string> {
  if (ref.revision !== undefined) return (await downloadModel(ref.model, { revision: ref.revision })).folder;
  return ref.model === EMBEDDED_MODEL ? EMBEDDED.causal : modelDir(ref.model, 'causal');
}

/**
 * What identifies a model's weights for queue job ids: the reference plus each file of its folder
 * with its size and modification time. Retrained weights in the same folder give new job ids, so
 * an interrupted run never merges shards of the old model with shards of the new one. A hub
 * model's reference is pinned to its commit, which is identity enough.
 */
export async function modelIdentity(ref: ModelRef): Promise<unknown> {
  // A hub id is pinned to a commit, which names its files' bytes already.
  if (ref.revision !== undefined) return { ref };
  const dir = await refDir(ref);
  const files: [string, number, number][] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    if (!entry.isFile()) continue;
    const info = await stat(join(dir, entry.name));
    files.push([entry.name, info.size, info.mtimeMs]);
  }
  return { ref, files };
}

/**
 * The image processor of --model (or the embedded model) alone, without loading the weights,
 * read through the library's reading policy.
 */
export async function readModelProcessor(dir: string | undefined): Promise<ImageGPTImageProcessor> {
  const files = modelFiles(dir, 'causal');
  const processor = await loadProcessor(files);
  if (processor === undefined) {
    throw new CliError(
      `the model folder has no preprocessor_config.json, so tokens cannot become pixels (${join(files.location, 'preprocessor_config.json')})`,
    );
  }
  return processor;
}

/** The sampling flags `generate` and `complete` share. */
export interface SamplingFlags {
  temperature: number;
  topK?: number;
  topP?: number;
  greedy?: boolean;
}

/**
 * The sampling settings of a run: each flag given on the command line wins; a flag left out takes
 * what the model's generation_config.json sets (do_sample, temperature, top_k, top_p, as the API's
 * `generate` applies them); the rest are the CLI's defaults (sampling, temperature 1, every token).
 */
export async function samplingSettings(
  cmd: Command,
  flags: SamplingFlags,
  dir: string | undefined,
): Promise<SamplingSpec> {
  const files = modelFiles(dir, 'causal');
  const defaults = (await files.exists(GENERATION_CONFIG_FILE))
    ? GenerationConfig.parse(
        await readJsonText(files, GENERATION_CONFIG_FILE),
        join(files.location, GENERATION_CONFIG_FILE),
      ).defaults()
    : undefined;
  const given = (name: keyof SamplingFlags) => cmd.getOptionValueSource(name) === 'cli';
  const anySampling = given('temperature') || given('topK') || given('topP');
  const greedy = given('greedy') ? flags.greedy === true : !anySampling && defaults?.doSample === false;
  const topP = given('topP') ? flags.topP : (defaults?.topP ?? undefined);
  return {
    greedy,
    temperature: given('temperature') ? flags.temperature : (defaults?.temperature ?? flags.temperature),
    topK: given('topK') ? (flags.topK ?? 0) : (defaults?.topK ?? 0),
    ...(topP === undefined ? {} : { topP }),
  };
}

/** Loads the classifier from --model or the embedded one. */
export async function loadClassifier(
  options: GlobalOptions & { model?: string },
): Promise<ImageGPTForImageClassification> {
  return ImageGPTForImageClassification.fromPretrained(modelDir(options.model, 'classifier'), {
    threads: options.threads,
  });
}

/** Reads image files; each error names the file. */
export async function readImages(paths: string[]): Promise<RawImage[]> {
  if (paths.length === 0) throw new CliError('no image given');
  const out: RawImage[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new CliError(`${path}: no such file`);
    out.push(await readImage(path));
  }
  return out;
}

/** Lists image files under a folder, sorted, recursing into sub-folders. */
export async function listImages(dir: string): Promise<string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${dir}: no such directory`);
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name, 'en', { numeric: true }),
    );
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/** Reads an image-folder dataset DIR/<label>/*.png; labels sorted naturally. */
export async function listLabelled(
  dir: string,
): Promise<{ labels: string[]; files: { path: string; label: number }[] }> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${dir}: no such directory`);
  const labels = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (labels.length < 2)
    throw new CliError(
      `${dir}: expected one sub-folder per label (DIR/<label>/*.png), found ${labels.length}`,
    );
  const files: { path: string; label: number }[] = [];
  for (const [label, name] of labels.entries()) {
    for (const path of await listImages(join(dir, name))) files.push({ path, label });
  }
  return { labels, files };
}

/**
 * Checks every output path before any work starts, so a run that would be refused at the end
 * neither wastes time nor leaves some of its outputs written.
 */
export function checkOutputs(paths: (string | undefined)[], force: boolean | undefined): void {
  if (force) return;
  for (const path of paths) {
    if (path !== undefined && existsSync(resolve(path)))
      throw new CliError(`${path} already exists; pass --force to overwrite it`);
  }
}

/** Writes an output file atomically; refuses to overwrite without --force. */
export async function writeOutput(
  path: string,
  data: Uint8Array | string | AsyncIterable<Uint8Array>,
  force: boolean | undefined,
): Promise<string> {
  const full = resolve(path);
  if (!force && existsSync(full)) throw new CliError(`${path} already exists; pass --force to overwrite it`);
  await writeFileAtomic(full, data, { force: force === true });
  return full;
}

/** A seed from the flag, or a random one that is printed so the run can be repeated. */
export function resolveSeed(seed: number | undefined): number {
  return seed ?? randomInt(0, 2 ** 31 - 1);
}

/** Milliseconds to a short human figure. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
