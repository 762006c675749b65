import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** /work/shared, found from this file: packages/config/src/test-utils → repo root → ../shared. */
const SHARED = fileURLToPath(new URL('../../../../../shared/', import.meta.url));

/** Every reference `config.json` (golden cases and trained models). Throws, never skips, when /work/shared is missing. */
export function goldenConfigPaths(): string[] {
  const dirs = ['golden', 'models'].map((d) => `${SHARED}${d}/`);
  for (const dir of dirs) if (!existsSync(dir)) throw new Error(`reference data missing: ${dir}`);
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .map((name) => `${dir}${name}/config.json`)
      .filter((path) => existsSync(path)),
  );
}

/** Path of a file in a golden case, e.g. `golden('tiny-causal', 'model.safetensors')`. */
export function goldenPath(dir: 'golden' | 'models', ...parts: string[]): string {
  const path = `${SHARED}${dir}/${parts.join('/')}`;
  if (!existsSync(path)) throw new Error(`reference file missing: ${path}`);
  return path;
}

/** Element counts of every tensor in a safetensors file, read from its JSON header. */
export function safetensorsElementCounts(path: string): Map<string, number> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { shape?: number[] }
  >;
  const counts = new Map<string, number>();
  for (const [name, info] of Object.entries(header)) {
    if (name !== '__metadata__')
      counts.set(
        name,
        (info.shape ?? []).reduce((a, b) => a * b, 1),
      );
  }
  return counts;
}
