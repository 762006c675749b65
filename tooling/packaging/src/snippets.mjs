// The TypeScript blocks of the hand-written docs: every README and every page of apps/docs except
// the generated ones (api/, reference/). Plain JavaScript, so the vitest suite, the browser tests and
// the packed tests (run by node, no build) read the blocks the same way.
//
// A block's fence says what is done with it (the first word is the language; GitHub and VitePress
// ignore the rest of the line):
//   ```ts              type-checked against the real packages
//   ```ts run          type-checked, then run in Node
//   ```ts run-browser  type-checked, then run in headless Chromium (packed-tests.mjs: a page with a
//                      <canvas>, the embedded model served at /models/igpt-mnist-16/)
// A block may lean on names it does not define (`model`, `images`): an HTML comment right before the
// fence, invisible on GitHub and on the site, declares them for the type-check:
//   <!-- snippet-setup
//   import type { RawImage } from '@imagegpt/node';
//   declare const images: RawImage[];
//   -->
// Runnable blocks run in a folder that holds copies of the embedded model's folders
// (`igpt-mnist-16/`, `igpt-mnist-16-classifier/`), the blocks of one file in order, in one folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file that holds pnpm-workspace.yaml. */
export const REPO_ROOT = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error('no pnpm-workspace.yaml above tooling/packaging');
  }
})();

/** The fence words this module knows after `ts`. */
export const RUN_MODES = Object.freeze({ run: 'node', 'run-browser': 'browser' });

/** Folders of apps/docs that are generated at build time, not written by hand. */
const GENERATED_DOCS = new Set(['api', 'reference', 'public', 'node_modules', '.vitepress', 'scripts']);

/** The hand-written Markdown files whose TypeScript blocks are checked, repository-relative, sorted. */
export function docFiles(root = REPO_ROOT) {
  const files = [];
  if (existsSync(join(root, 'README.md'))) files.push('README.md');
  for (const group of ['packages', 'apps', 'tooling']) {
    for (const dir of readdirSync(join(root, group)).sort()) {
      if (existsSync(join(root, group, dir, 'README.md'))) files.push(`${group}/${dir}/README.md`);
    }
  }
  const walk = (rel) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!GENERATED_DOCS.has(entry.name)) walk(path);
      } else if (entry.name.endsWith('.md') && entry.name !== 'README.md') files.push(path);
    }
  };
  if (existsSync(join(root, 'apps', 'docs'))) walk('apps/docs');
  return files.sort();
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/;

/**
 * The TypeScript blocks of one Markdown text: `{ file, line, lang, run, setup, setupLines, code }`,
 * `line` being the 1-based line of the block's first code line, `run` `'node'`, `'browser'` or
 * undefined. An unknown word after `ts` is an error, so a misspelt `run` does not silently skip a run.
 */
export function parseBlocks(text, file) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    let end = i + 1;
    while (end < lines.length && !(lines[end].trim().startsWith(fence) && lines[end].trim() === fence)) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const words = rest.trim().split(/\s+/).filter(Boolean);
      let run;
      for (const word of words) {
        if (word in RUN_MODES) run = RUN_MODES[word];
        else
          throw new Error(
            `${file}:${i + 1}: unknown word "${word}" after \`\`\`${lang} (known: run, run-browser)`,
          );
      }
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join('\n');
      const setup = setupBefore(lines, i);
      blocks.push({
        file,
        line: i + 2,
        lang,
        run,
        setup,
        setupLines: setup === '' ? 0 : setup.split('\n').length,
        code,
      });
    }
    i = end;
  }
  return blocks;
}

/** The text of a `<!-- snippet-setup … -->` comment ending on the line just above line `i`, or ''. */
function setupBefore(lines, i) {
  let j = i - 1;
  if (j < 0 || lines[j].trim() !== '-->') return '';
  const body = [];
  for (j--; j >= 0; j--) {
    if (lines[j].trim() === '<!-- snippet-setup') return body.reverse().join('\n');
    body.push(lines[j]);
  }
  return '';
}

/** Every TypeScript block of the hand-written docs. */
export function allBlocks(root = REPO_ROOT) {
  return docFiles(root).flatMap((file) => parseBlocks(readFileSync(join(root, file), 'utf8'), file));
}

/** A block's file name: its Markdown file and line, as one safe word (`packages-node-README.md-L12`). */
export function blockId(block) {
  return `${block.file.replace(/[^\w.-]+/g, '-')}-L${block.line}`;
}

/**
 * A block as a TypeScript module: its setup, then its code, then `export {}` so that blocks without
 * an import are modules too. The first line names the source; `codeOffset` is the module line (0-based)
 * of the block's first code line, for mapping diagnostics back to the Markdown.
 */
export function blockModule(block) {
  const head = [`// ${block.file}:${block.line}`];
  if (block.setup !== '') head.push(block.setup);
  const codeOffset = head.join('\n').split('\n').length;
  return { text: `${head.join('\n')}\n${block.code}\nexport {};\n`, codeOffset };
}

/** Writes every block as `<dir>/<id>.ts` (the folder is emptied first); returns `[{ block, path, codeOffset }]`. */
export function writeBlocks(blocks, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return blocks.map((block) => {
    const { text, codeOffset } = blockModule(block);
    const path = join(dir, `${blockId(block)}.ts`);
    writeFileSync(path, text);
    return { block, path, codeOffset };
  });
}

/** The folder the checks write snippets to: tooling/packaging/.snippets (ignored by git). */
export const SNIPPETS_DIR = join(REPO_ROOT, 'tooling', 'packaging', '.snippets');

/** The embedded model's folders that runnable blocks find in their working folder. */
export const FIXTURE_FOLDERS = ['igpt-mnist-16', 'igpt-mnist-16-classifier'];

/** The folder the fixture folders are copied from. */
export const FIXTURE_SOURCE = join(REPO_ROOT, 'packages', 'models', 'assets');

/** A path relative to the repository root, for messages. */
export function repoRelative(path) {
  return relative(REPO_ROOT, path);
}
