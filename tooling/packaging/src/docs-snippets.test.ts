// The docs' TypeScript blocks (READMEs and the hand-written pages of apps/docs) against the real
// packages: every block type-checks, and every `ts run` block runs in Node. The `ts run-browser`
// blocks run in Chromium on the page of a Vite app built from the packed packages
// (tooling/packaging/packed-tests.mjs), as a user's app would run them.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { typeCheck } from './compile.mjs';
import { runNodeBlocks } from './run-node.mjs';
import { allBlocks, docFiles, parseBlocks, SNIPPETS_DIR, writeBlocks } from './snippets.mjs';

const blocks = allBlocks();

describe('the docs blocks', () => {
  it('are found in the READMEs and the hand-written pages, not the generated ones', () => {
    const files = docFiles();
    expect(files).toContain('README.md');
    expect(files).toContain('packages/node/README.md');
    expect(files).toContain('apps/docs/getting-started/browser.md');
    expect(
      files.filter((f) => f.startsWith('apps/docs/api/') || f.startsWith('apps/docs/reference/')),
    ).toEqual([]);
    expect(blocks.length).toBeGreaterThan(20);
    expect(blocks.filter((b) => b.run === 'node').length).toBeGreaterThanOrEqual(8);
    expect(blocks.filter((b) => b.run === 'browser').length).toBeGreaterThanOrEqual(2);
  });

  it('every TypeScript block type-checks against the packages', () => {
    const errors = typeCheck(writeBlocks(blocks, join(SNIPPETS_DIR, 'check')));
    expect(errors).toEqual([]);
  }, 120_000);

  it('every `ts run` block runs in Node', async () => {
    const results = await runNodeBlocks(blocks, join(SNIPPETS_DIR, 'node'));
    const failed = results
      .filter((r) => r.code !== 0)
      .map((r) => `${r.block.file}:${r.block.line} exited ${r.code}:\n${r.output}`);
    expect(failed).toEqual([]);
    expect(results.length).toBe(blocks.filter((b) => b.run === 'node').length);
  }, 300_000);
});

describe('the checks fail when the docs are wrong', () => {
  const md = [
    '# A page',
    '',
    '<!-- snippet-setup',
    "import type { ImageGPTForCausalImageModeling } from '@imagegpt/node';",
    'declare const model: ImageGPTForCausalImageModeling;',
    '-->',
    '```ts',
    'await model.generate({ doSample: true, topk: 5 });',
    '```',
    '',
    '```ts run',
    "import { ImageGPTConfig } from '@imagegpt/config';",
    "ImageGPTConfig.preset('tiny');",
    '```',
  ].join('\n');

  it('a renamed option is a type error at its line in the Markdown', () => {
    const dir = mkdtempSync(join(SNIPPETS_DIR, 'wrong-'));
    try {
      const errors = typeCheck(writeBlocks(parseBlocks(md, 'docs/page.md'), dir));
      expect(errors.some((e) => e.startsWith('docs/page.md:8:') && e.includes("'topk'"))).toBe(true);
      expect(errors.some((e) => e.startsWith('docs/page.md:13:') && e.includes('"tiny"'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a runnable block that throws fails its run', async () => {
    const [result] = await runNodeBlocks(parseBlocks(md, 'docs/page.md'), join(SNIPPETS_DIR, 'wrong-run'));
    expect(result?.code).not.toBe(0);
    expect(result?.output).toContain('tiny');
  }, 60_000);

  it('a misspelt fence word is refused, not skipped', () => {
    expect(() => parseBlocks('```ts runn\nlet x = 1;\n```\n', 'docs/page.md')).toThrow(
      /docs\/page\.md:1: unknown word "runn"/,
    );
  });

  it('a setup comment belongs to the fence right below it only', () => {
    const [first, second] = parseBlocks(md, 'docs/page.md');
    expect(first?.setup).toContain('declare const model');
    expect(first?.line).toBe(8);
    expect(second?.setup).toBe('');
    expect(second?.run).toBe('node');
  });
});
