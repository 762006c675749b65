// Where the shared data lives and which golden cases the suites run. Plain JavaScript, so the
// browser script (run by node, no build) and every vitest suite read the same one home.
//
// Every folder of the golden set with a meta.json is a case, so a case added to the golden set is
// run without a code change. PENDING is the one list of cases the code cannot pass yet: suites
// assert that each of them still fails (a case that starts passing must leave the list), and never
// skip them silently.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Cases the code cannot pass yet, with the issue that will make them pass. */
export const PENDING = Object.freeze({});

/** The repository root: the nearest folder above this file that holds pnpm-workspace.yaml. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`no pnpm-workspace.yaml above ${from}: not inside the repository`);
  }
}

/** The shared data folder: `IGPT_SHARED` when set, else `shared` beside the repository root. */
export function sharedDir() {
  return resolve(process.env.IGPT_SHARED ?? join(REPO_ROOT, '..', 'shared'));
}

/**
 * A file or folder of the shared data, e.g. `sharedPath('golden', 'tiny-causal', 'io.safetensors')`.
 * A missing one is an error, never a skip: CI has the data.
 */
export function sharedPath(...parts) {
  const path = join(sharedDir(), ...parts);
  if (!existsSync(path))
    throw new Error(`${path} is missing (set IGPT_SHARED, or put shared/ beside the repository)`);
  return path;
}

/** The golden set's folder; a missing folder is an error (CI has it). */
export function goldenDir() {
  return sharedPath('golden');
}

/** One case folder of the golden set, by name; a missing one is an error. */
export function goldenCaseDir(name) {
  return sharedPath('golden', name);
}

/**
 * Every case of the golden set, sorted by name: `{ name, dir, kind, pending }`, where kind is
 * `model` (meta.json has `head`) or `processor` (meta.json kind ImageGPTImageProcessor), and pending
 * is the reason from {@link PENDING} or undefined.
 */
export function goldenCases() {
  const root = goldenDir();
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'meta.json')))
    .map((d) => {
      const dir = join(root, d.name);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      const kind = meta.kind === 'ImageGPTImageProcessor' ? 'processor' : 'model';
      return { name: d.name, dir, kind, pending: PENDING[d.name] };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
