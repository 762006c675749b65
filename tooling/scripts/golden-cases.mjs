// The golden cases the suites run, found from the data: every folder of the golden set with a
// meta.json is a case, so a case added to ../shared/golden is run without a code change.
// PENDING is the one list of cases the code cannot pass yet. Suites assert that each of them still
// fails (so a case that starts passing must leave the list), and never skip them silently.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Cases the code cannot pass yet, with the issue that will make them pass. */
export const PENDING = Object.freeze({
  'tiny-attentions': 'output_attentions (#12)',
  'tiny-classify-multilabel': 'classifier loss by problem_type: BCE with logits (#12)',
  'tiny-classify-regression': 'classifier loss by problem_type: MSE (#12)',
});

/** The shared data folder: `IGPT_SHARED`, else `../shared` beside the repository. */
export function sharedDir() {
  return resolve(process.env.IGPT_SHARED ?? join(REPO, '..', 'shared'));
}

/** The golden set's folder; a missing folder is an error (CI has it). */
export function goldenDir() {
  const dir = join(sharedDir(), 'golden');
  if (!existsSync(dir))
    throw new Error(`golden data missing at ${dir} (set IGPT_SHARED, or put shared/ beside the repository)`);
  return dir;
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
