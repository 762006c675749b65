#!/usr/bin/env node
// Builds the docs site: generates the API reference (typedoc, from the TypeScript doc comments),
// the CLI reference (from `igpt <cmd> --help`), copies the embedded model for the live demo, then
// runs `vitepress build`. `--prepare-only` stops before the VitePress build (for `vitepress dev`).
// DOCS_BASE sets the site's base path (default `/`; the browser tests serve it under `/docs/`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(docs, '..', '..');
const prepareOnly = process.argv.includes('--prepare-only');

function step(name) {
  console.log(`docs: ${name}`);
}

// 1. API reference from the doc comments of the public packages.
step('API reference (typedoc)');
const { Application } = await import(
  pathToFileURL(join(docs, 'node_modules', 'typedoc', 'dist', 'index.js')).href
);
const app = await Application.bootstrapWithPlugins({
  entryPoints: ['config', 'processor', 'core', 'heads', 'node', 'web', 'models'].map((p) =>
    join(root, 'packages', p, 'src', 'index.ts'),
  ),
  tsconfig: join(docs, 'tsconfig.typedoc.json'),
  plugin: ['typedoc-plugin-markdown'],
  out: join(docs, 'api'),
  readme: 'none',
  entryFileName: 'index',
  hidePageHeader: true,
  excludePrivate: true,
  excludeInternal: true,
  disableSources: true,
  logLevel: 'Warn',
  // Each package re-exports its dependencies' API; document a name once, where it is defined.
  excludeReferences: true,
});
const project = await app.convert();
if (!project) {
  console.error('docs: typedoc could not convert the packages (see the errors above)');
  process.exit(1);
}
rmSync(join(docs, 'api'), { recursive: true, force: true });
await app.generateOutputs(project);

// 2. CLI reference from the built CLI's own help.
step('CLI reference (igpt --help)');
const bin = join(root, 'apps', 'cli', 'dist', 'bin.js');
mkdirSync(join(docs, 'reference'), { recursive: true });
if (existsSync(bin)) {
  const help = (args) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--help'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return (r.stdout || r.stderr).trimEnd();
  };
  const top = help([]);
  const section = top.split(/\n(?=Commands:)/)[1] ?? '';
  const commands = [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  const parts = [
    '# CLI reference',
    '',
    'Generated from `igpt <command> --help` when the docs were built. Run `pnpm igpt <command> --help` for your version.',
    '',
    '```text',
    top,
    '```',
  ];
  for (const c of commands) parts.push('', `## igpt ${c}`, '', '```text', help([c]), '```');
  writeFileSync(join(docs, 'reference', 'cli.md'), `${parts.join('\n')}\n`);
} else {
  console.warn(`docs: ${bin} is not built; the CLI reference page says so (run \`npm run build\` first)`);
  writeFileSync(
    join(docs, 'reference', 'cli.md'),
    '# CLI reference\n\n::: warning Not generated\nThis page is generated from `igpt <command> --help`, but the CLI (`apps/cli/dist/bin.js`) was not built when the docs were. Run `npm run build`, then rebuild the docs.\n:::\n',
  );
}

// 3. The embedded model, served as static files for the live demo, and its model-card figures.
step('embedded model for the demo');
const models = join(docs, 'public', 'models');
rmSync(models, { recursive: true, force: true });
cpSync(join(root, 'packages', 'models', 'assets', 'igpt-mnist-16'), join(models, 'igpt-mnist-16'), {
  recursive: true,
});
const card = await import(pathToFileURL(join(root, 'packages', 'models', 'dist', 'index.js')).href);
mkdirSync(join(docs, '.vitepress', 'generated'), { recursive: true });
writeFileSync(
  join(docs, '.vitepress', 'generated', 'model-card.json'),
  `${JSON.stringify(card.MODEL_CARD_FIGURES, null, 2)}\n`,
);

if (prepareOnly) process.exit(0);

// 4. The site.
step('VitePress build');
const r = spawnSync(
  process.execPath,
  [join(docs, 'node_modules', 'vitepress', 'bin', 'vitepress.js'), 'build'],
  { cwd: docs, stdio: 'inherit', env: process.env },
);
process.exit(r.status ?? 1);
