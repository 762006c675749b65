import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { IMAGE_FILE_EXTENSIONS, readRegularFile } from '@imagegpt/node';
import { isImageUrl } from '@imagegpt/queue';
import { CliError } from './cli-error.js';

/** One image of a dataset: where to read it, what to call it, and its label when known. */
export interface DatasetEntry {
  /** What a worker reads: an absolute path or an http(s) URL. */
  readonly source: string;
  /**
   * How output files name it: the path as one would type it from here (the folder or the
   * manifest's folder joined with the image's path), or the URL.
   */
  readonly name: string;
  /** The first-level sub-folder of a folder input, or a manifest line's label. */
  readonly label?: string;
}

/** Labels of a dataset as the features file stores them: sorted names and one index per image (-1: none). */
export interface DatasetLabels {
  readonly names: string[];
  readonly ids: number[];
}

/**
 * Expands the inputs of `igpt features`, in the order given: an image file is itself; a folder is
 * every image under it (recursively; names starting with a dot skipped), sorted bytewise by path
 * relative to the folder, its first-level sub-folder being the label; a `.txt` manifest is one
 * image per line (a path relative to the manifest's folder, an absolute path or an http(s) URL),
 * optionally followed by a tab and a label. Blank lines are skipped. Errors name the input, and
 * for a manifest the line.
 */
export async function listDataset(inputs: readonly string[]): Promise<DatasetEntry[]> {
  if (inputs.length === 0) throw new CliError('no image, folder or manifest given');
  const out: DatasetEntry[] = [];
  for (const input of inputs) {
    if (isImageUrl(input)) {
      out.push({ source: input, name: input });
      continue;
    }
    const info = await statIfThere(input);
    if (info === undefined) throw new CliError(`${input}: no such file or folder`);
    if (info.isDirectory()) {
      const found = await listFolder(input);
      if (found.length === 0)
        throw new CliError(`${input}: no image found (${IMAGE_FILE_EXTENSIONS.join(', ')})`);
      out.push(...found);
    } else if (extname(input).toLowerCase() === '.txt') {
      out.push(...(await readManifest(input)));
    } else {
      out.push({ source: resolve(input), name: input });
    }
  }
  return out;
}

/** The labels of `entries`, or undefined when none has one. */
export function datasetLabels(entries: readonly DatasetEntry[]): DatasetLabels | undefined {
  const names = [...new Set(entries.flatMap((e) => (e.label === undefined ? [] : [e.label])))].sort(bytewise);
  if (names.length === 0) return undefined;
  const index = new Map(names.map((name, i) => [name, i]));
  return { names, ids: entries.map((e) => (e.label === undefined ? -1 : index.get(e.label)!)) };
}

async function listFolder(root: string): Promise<DatasetEntry[]> {
  const relPaths: string[] = [];
  const walk = async (rel: string) => {
    for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      // Symbolic links are followed to files, not to folders, so a link loop cannot trap the walk;
      // a broken link is no image.
      const isFile =
        entry.isFile() ||
        (entry.isSymbolicLink() && (await statIfThere(join(root, path)))?.isFile() === true);
      if (entry.isDirectory()) await walk(path);
      else if (isFile && IMAGE_FILE_EXTENSIONS.includes(extname(entry.name).toLowerCase()))
        relPaths.push(path);
    }
  };
  await walk('');
  // Bytewise on the whole relative path (UTF-8), so the order is the same on every machine and locale.
  relPaths.sort(bytewise);
  return relPaths.map((rel) => {
    const slash = rel.indexOf('/');
    const name = join(root, rel);
    return {
      source: resolve(root, rel),
      name,
      ...(slash === -1 ? {} : { label: rel.slice(0, slash) }),
    };
  });
}

async function readManifest(manifest: string): Promise<DatasetEntry[]> {
  // A regular file only (the library's reading policy): a FIFO named as the manifest is refused.
  const text = new TextDecoder().decode(await readRegularFile(manifest));
  const base = dirname(manifest);
  const out: DatasetEntry[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const tab = line.indexOf('\t');
    const path = tab === -1 ? line : line.slice(0, tab);
    const label = tab === -1 ? '' : line.slice(tab + 1).trim();
    const where = `${manifest}:${i + 1}`;
    if (path === '') throw new CliError(`${where}: no path before the tab`);
    const entry = isImageUrl(path)
      ? { source: path, name: path }
      : { source: resolve(base, path), name: isAbsolute(path) ? path : join(base, path) };
    if (!isImageUrl(path)) {
      const info = await statIfThere(entry.source);
      if (!info?.isFile())
        throw new CliError(`${where}: ${path}: no such file (paths are relative to the manifest's folder)`);
    }
    out.push(label === '' ? entry : { ...entry, label });
  }
  if (out.length === 0) throw new CliError(`${manifest}: the manifest lists no image`);
  return out;
}

/** Compares strings by their UTF-8 bytes. */
function bytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** A file's details, or undefined when nothing is at `path` (a broken link included). */
async function statIfThere(path: string) {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`${path}: cannot read (${(e as Error).message})`);
  }
}
