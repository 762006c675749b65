// savePretrained in a real browser: a golden classifier saved through @imagegpt/web into the
// origin-private file system (DirectoryHandleSink) is the folder HF wrote: the same weight bytes
// and config.json (its transformers_version aside); a second save without force is refused.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CASE = 'tiny-classify';
const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const withoutVersion = (text) => text.replace(/^ {2}"transformers_version": .*\n/m, '');

/** Saves tiny-classify in the page and compares the files with the golden folder's. */
export async function saveScenario({ page, checks, golden }) {
  const saved = await page.evaluate((name) => window.igpt.saveCheck(name), CASE);
  const dir = join(golden, CASE);
  checks.check(
    'savePretrained (web): the files HF writes for a classifier',
    JSON.stringify([...saved.written].sort()) === JSON.stringify(['config.json', 'model.safetensors']),
    saved.written.join(', '),
  );
  checks.check(
    'savePretrained (web): model.safetensors is byte for byte the one HF wrote',
    saved.sha256['model.safetensors'] === sha256(join(dir, 'model.safetensors')),
    `${saved.sha256['model.safetensors']} vs ${sha256(join(dir, 'model.safetensors'))}`,
  );
  checks.check(
    "savePretrained (web): config.json is HF's text, transformers_version aside",
    withoutVersion(saved.texts['config.json'] ?? '') ===
      withoutVersion(readFileSync(join(dir, 'config.json'), 'utf8')),
    saved.texts['config.json']?.slice(0, 200),
  );
  checks.check(
    'savePretrained (web): a second save without force is refused',
    /already exists/.test(saved.again),
    saved.again,
  );
}
