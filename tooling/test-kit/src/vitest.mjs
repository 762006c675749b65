// The vitest project every package's vitest.config.ts is made from. Plain JavaScript: vitest loads
// config files with Node, which runs no TypeScript from a linked package.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { REPO_ROOT } from './golden-cases.mjs';

/**
 * Every import specifier of the workspace's packages → its source file: `@imagegpt/<name>` → its
 * `src/index.ts`, and each subpath in its package.json `exports` (`@imagegpt/core/graph` →
 * `packages/core/src/graph/index.ts`), found from the built file it names (`./dist/x.js` → `src/x.ts`).
 * Subpaths come before their package's root, as a prefix alias must come after the longer ones.
 */
export function workspaceEntries() {
  const packages = join(REPO_ROOT, 'packages');
  const entries = {};
  for (const dir of readdirSync(packages).sort()) {
    const manifest = join(packages, dir, 'package.json');
    if (!existsSync(manifest) || !existsSync(join(packages, dir, 'src', 'index.ts'))) continue;
    const { name, exports } = JSON.parse(readFileSync(manifest, 'utf8'));
    const subpaths = Object.keys(exports ?? {}).sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    for (const subpath of subpaths) {
      const target = exports[subpath];
      const built = typeof target === 'string' ? target : (target.import ?? target.default);
      const source = /^\.\/dist\/(.+)\.js$/.exec(built ?? '');
      if (!source) throw new Error(`${manifest}: exports["${subpath}"] is not a ./dist/*.js file`);
      entries[subpath === '.' ? name : `${name}/${subpath.slice(2)}`] = join(
        packages,
        dir,
        'src',
        `${source[1]}.ts`,
      );
    }
  }
  return entries;
}

/**
 * The aliases tests resolve the workspace's packages with: {@link workspaceEntries}, so a test sees
 * a change to a sibling package without a rebuild.
 */
export function workspaceAliases() {
  return workspaceEntries();
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
