// The vitest project every package's vitest.config.ts is made from. Plain JavaScript: vitest loads
// config files with Node, which runs no TypeScript from a linked package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { REPO_ROOT } from './golden-cases.mjs';

/**
 * `@imagegpt/<name>` → its `src/index.ts`, for every package under packages/: tests import sibling
 * packages from source, so a change is seen without a rebuild.
 */
export function workspaceAliases() {
  const packages = join(REPO_ROOT, 'packages');
  const aliases = {};
  for (const dir of readdirSync(packages).sort()) {
    const manifest = join(packages, dir, 'package.json');
    const entry = join(packages, dir, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(entry)) continue;
    aliases[JSON.parse(readFileSync(manifest, 'utf8')).name] = entry;
  }
  return aliases;
}

/**
 * The vitest project of one package: workspace aliases, the fast-check seed, tests beside the code
 * (`src/**\/*.test.ts`) and in `test/`, and a timeout that fits the model tests.
 */
export function packageProject(name) {
  return defineProject({
    resolve: { alias: workspaceAliases() },
    test: {
      name,
      setupFiles: [fileURLToPath(new URL('./vitest-setup.ts', import.meta.url))],
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 60_000,
    },
  });
}
