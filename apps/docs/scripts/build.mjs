#!/usr/bin/env node
// Builds the docs site: generates the API reference (typedoc, from the TypeScript doc comments),
// the CLI reference (from `igpt <cmd> --help`), copies the embedded model for the live demo, then
// runs `vitepress build`. `--prepare-only` stops before the VitePress build (for `vitepress dev`).
// DOCS_BASE sets the site's base path (default `/`; the browser tests serve it under `/docs/`).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(docs, '..', '..');
const prepareOnly = process.argv.includes('--prepare-only');

function step(name) {
  console.log(`docs: ${name}`);
}

// 1. API reference from the doc comments of the public packages, one module per entry point (each
// package root and each subpath in its package.json `exports`, such as `@imagegpt/core/graph`), written
// to api/<name without the scope>/index.md (api/config/, api/core/graph/, …) and linked from the sidebar.
step('API reference (typedoc)');
const packageDirs = ['config', 'processor', 'core', 'heads', 'node', 'web', 'models', 'queue'];
const packages = packageDirs.map((dir) => {
  const json = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  return { dir, name: json.name, description: json.description ?? '', exports: json.exports };
});
// Every entry point with its source file (`./dist/graph/index.js` → `src/graph/index.ts`), roots first:
// typedoc documents a name in the first entry point that exports it, so a name at both a root and a
// subpath (`generate`, `Checkpoint`) is documented at the root.
const entryPoints = packages
  .flatMap((p) =>
    Object.entries(p.exports).map(([subpath, target]) => {
      const built = /^\.\/dist\/(.+)\.js$/.exec(target.import);
      if (!built) throw new Error(`${p.name} exports["${subpath}"]: not a ./dist/*.js file`);
      return {
        name: subpath === '.' ? p.name : `${p.name}/${subpath.slice(2)}`,
        file: join(root, 'packages', p.dir, 'src', `${built[1]}.ts`),
        module: `${p.dir}/src${built[1] === 'index' ? '' : `/${built[1].replace(/\/index$/, '')}`}`,
        description: subpath === '.' ? p.description : '',
      };
    }),
  )
  .sort((a, b) => Number(a.name.split('/').length !== 2) - Number(b.name.split('/').length !== 2));
// The names each root keeps only as deprecated re-exports for one release (its src/deprecated.ts).
// typedoc reads no comment on a re-export, so it would document them at the root; they are dropped
// there as they are made, and documented at the entry point they moved to.
const deprecatedAtRoot = new Map(
  packages.map((p) => {
    const file = join(root, 'packages', p.dir, 'src', 'deprecated.ts');
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const names = [...text.matchAll(/@deprecated[^\n]*\*\/\s*(?:type\s+)?(\w+),/g)].map((m) => m[1]);
    return [`${p.dir}/src`, new Set(names)];
  }),
);
const { Application, Converter, ReflectionKind } = await import(
  pathToFileURL(join(docs, 'node_modules', 'typedoc', 'dist', 'index.js')).href
);
const app = await Application.bootstrapWithPlugins({
  entryPoints: entryPoints.map((e) => e.file),
  name: 'ImageGPT.ts API',
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
  // `@imagegpt/config` is written to `config/`, not `@imagegpt/config/`.
  excludeScopesInPaths: true,
});
app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
  const module = reflection.parent;
  if (module?.kindOf(ReflectionKind.Module) && deprecatedAtRoot.get(module.name)?.has(reflection.name))
    context.project.removeReflection(reflection);
});
const project = await app.convert();
if (!project) {
  console.error('docs: typedoc could not convert the packages (see the errors above)');
  process.exit(1);
}
// typedoc names each module after its path (`config/src`, `core/src/graph`); name it after its entry point.
for (const module of project.children ?? []) {
  const entry = entryPoints.find((e) => module.name === e.module);
  if (entry === undefined) {
    console.error(`docs: typedoc made a module ${module.name} that matches no entry point`);
    process.exit(1);
  }
  module.name = entry.name;
  // A subpath's row on the index page: the first sentence of its @packageDocumentation comment.
  if (entry.description === '') {
    const summary = (module.comment?.summary ?? []).map((part) => part.text).join('');
    const first = summary.replace(/^`[^`]+`:\s*/, '').split(/(?<=\.)\s/)[0] ?? '';
    entry.description = first.replace(/\s+/g, ' ').replace(/\.$/, '');
  }
}
rmSync(join(docs, 'api'), { recursive: true, force: true });
await app.generateOutputs(project);
// The index page: one row per package, with its package.json description.
writeFileSync(
  join(docs, 'api', 'index.md'),
  [
    '# API reference',
    '',
    'Generated by typedoc from the doc comments of each package. `@imagegpt/node` and `@imagegpt/web`',
    're-export the user-facing API of the config, processor, core and heads packages, so an app imports',
    'from one of those two (and from `@imagegpt/model-mnist-16` for the embedded model). The machinery',
    'under it (graph building, the ONNX codec, quantization, …) has entry points of its own, such as',
    '`@imagegpt/core/graph`. Each name is documented once, where it lives now.',
    '',
    '| entry point | what it holds |',
    '| --- | --- |',
    ...packages.flatMap((p) =>
      entryPoints
        .filter((e) => e.name === p.name || e.name.startsWith(`${p.name}/`))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((e) => `| [${e.name}](${e.name.replace(/^@[^/]+\//, '')}/index.md) | ${e.description} |`),
    ),
    '',
  ].join('\n'),
);
for (const e of entryPoints) {
  const page = join(docs, 'api', e.name.replace(/^@[^/]+\//, ''), 'index.md');
  if (!existsSync(page)) {
    console.error(`docs: typedoc wrote no ${page}`);
    process.exit(1);
  }
}

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

// 2b. The config.json schema, from the same zod schema that validates configs (ImageGPTConfig.jsonSchema).
step('config.json schema');
{
  const { ImageGPTConfig } = await import(
    pathToFileURL(join(root, 'packages', 'config', 'dist', 'index.js')).href
  );
  const schema = JSON.stringify(ImageGPTConfig.jsonSchema(), null, 2);
  mkdirSync(join(docs, 'public'), { recursive: true });
  writeFileSync(join(docs, 'public', 'config.schema.json'), `${schema}\n`);
  writeFileSync(
    join(docs, 'reference', 'config-schema.md'),
    [
      '# config.json schema',
      '',
      'The JSON Schema of an ImageGPT `config.json`, generated from the zod schema `@imagegpt/config` validates',
      "with (`ImageGPTConfig.jsonSchema()`), with HF's defaults and the bounds this library enforces. Unknown keys",
      'are allowed and kept on a round trip. Download it as [config.schema.json](/config.schema.json) for an',
      "editor's JSON validation.",
      '',
      '```json',
      schema,
      '```',
      '',
    ].join('\n'),
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

// The README's sample grids (docs-assets/, written by `npm run demo`) for the home page: one home
// per picture, copied rather than committed twice.
step('sample pictures');
const images = join(docs, 'public', 'images');
rmSync(images, { recursive: true, force: true });
cpSync(join(root, 'docs-assets'), images, { recursive: true });

if (prepareOnly) process.exit(0);

// 4. The site.
step('VitePress build');
const r = spawnSync(
  process.execPath,
  [join(docs, 'node_modules', 'vitepress', 'bin', 'vitepress.js'), 'build'],
  { cwd: docs, stdio: 'inherit', env: process.env },
);
if (r.status !== 0) process.exit(r.status ?? 1);
// The sidebar links /api/<dir>/; VitePress checks links in pages, not in the sidebar, so check here.
for (const e of entryPoints) {
  const page = join(docs, '.vitepress', 'dist', 'api', e.name.replace(/^@[^/]+\//, ''), 'index.html');
  if (!existsSync(page)) {
    console.error(`docs: the sidebar links ${e.name} but ${page} was not built`);
    process.exit(1);
  }
}
