import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './golden-cases.mjs';
import { deprecatedImports, type RootExport, rootExports } from './root-exports.js';
import { workspaceEntries } from './vitest.mjs';

// The export list of every package root, held against root-exports.snap.txt beside this file. A
// name added to or removed from a root, or an entry point added to a package, changes the file: run
// `node_modules/.bin/vitest run -u tooling/test-kit/src/root-exports.test.ts` and commit it with the
// change, so every change to the public surface is a deliberate one.

const entries = workspaceEntries();
let lists: Record<string, RootExport[]>;
beforeAll(() => {
  lists = rootExports();
});

/** The names the README and docs use, which must keep working from these roots, not deprecated. */
const DOCUMENTED: Record<string, string[]> = {
  '@imagegpt/config': ['ImageGPTConfig', 'ConfigError'],
  '@imagegpt/processor': ['ImageGPTImageProcessor', 'ImageError', 'ProcessorConfigError', 'RawImage'],
  '@imagegpt/core': ['generate', 'GenerateOptions', 'GenerateResult', 'CheckpointError', 'loadCheckpoint'],
  '@imagegpt/heads': ['ImageGPTForCausalImageModeling', 'ImageGPTForImageClassification', 'ImageGPTModel'],
  '@imagegpt/node': [
    ...['ImageGPTForCausalImageModeling', 'ImageGPTForImageClassification', 'ImageGPTModel'],
    ...['GenerateOptions', 'ImageGenerateOptions', 'ImageGPTImageProcessor', 'ImageGPTConfig'],
    ...['readImage', 'encodePng', 'decodeImage', 'writeFileAtomic', 'NodeFileSink', 'createNodeBackend'],
    ...['ConfigError', 'ImageError', 'ProcessorConfigError', 'CheckpointError', 'ModelInputError'],
    ...['GenerationError', 'HeadsError', 'NodeError', 'OutputExistsError', 'runConformance'],
    ...['learnPalette', 'paletteToPreprocessorConfig', 'resizeBilinear', 'toRGB', 'trainLinearProbe'],
    ...['downloadModel', 'HubError', 'hubCacheDir'],
  ],
  '@imagegpt/web': [
    ...['ImageGPTForCausalImageModeling', 'ImageGPTForImageClassification', 'ImageGPTModel'],
    ...['GenerateOptions', 'ImageGenerateOptions', 'ImageGPTImageProcessor', 'ImageGPTConfig'],
    ...['toImageData', 'toRawImage', 'encodePng', 'decodeImage', 'createWebBackend', 'FetchFileSource'],
    ...['ConfigError', 'ImageError', 'ProcessorConfigError', 'CheckpointError', 'ModelInputError'],
    ...['GenerationError', 'HeadsError', 'WebError', 'runConformance', 'ConformanceReport'],
    ...['HubError', 'resolveHubFolder'],
  ],
};

/**
 * One package as the snapshot shows it: its entry points, one line per root export (`type` marks a
 * name with no value at run time), then the deprecated names the root keeps for one release.
 */
function render(name: string, list: readonly RootExport[]): string {
  const line = (e: RootExport) => `${e.kind === 'type' ? 'type ' : ''}${e.name}`;
  const current = list.filter((e) => !e.deprecated);
  const deprecated = list.filter((e) => e.deprecated);
  const subpaths = Object.keys(entries)
    .filter((specifier) => specifier.startsWith(`${name}/`))
    .map((specifier) => specifier.slice(name.length))
    .sort();
  return [
    `${name}: ${current.length} names, ${deprecated.length} deprecated`,
    `  entry points: . ${subpaths.map((s) => `.${s}`).join(' ')}`.trimEnd(),
    ...current.map((e) => `  ${line(e)}`),
    ...(deprecated.length > 0 ? ['  @deprecated:', ...deprecated.map((e) => `    ${line(e)}`)] : []),
  ].join('\n');
}

describe('package roots', () => {
  it('export exactly the names in the snapshot', async () => {
    const text = Object.entries(lists)
      .map(([name, list]) => render(name, list))
      .join('\n\n');
    await expect(`${text}\n`).toMatchFileSnapshot('./root-exports.snap.txt');
  });

  it('keep the names the README and docs use, not deprecated', () => {
    for (const [name, names] of Object.entries(DOCUMENTED)) {
      const current = new Set(lists[name]?.filter((e) => !e.deprecated).map((e) => e.name));
      expect(
        names.filter((n) => !current.has(n)),
        name,
      ).toEqual([]);
    }
  });

  it('are not imported for their deprecated names anywhere in the repository', () => {
    expect(deprecatedImports(lists)).toEqual([]);
  });
});

describe('package.json exports', () => {
  it('name, for every entry point, a built file with its types beside it and a source file', () => {
    for (const dir of readdirSync(join(REPO_ROOT, 'packages'))) {
      const file = join(REPO_ROOT, 'packages', dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      for (const [subpath, target] of Object.entries<{ types?: string; import?: string }>(manifest.exports)) {
        const where = `${manifest.name} exports["${subpath}"]`;
        expect(Object.keys(target), where).toEqual(['types', 'import']);
        expect(target.types, where).toBe(target.import?.replace(/\.js$/, '.d.ts'));
        const source = entries[subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`];
        expect(source && existsSync(source), `${where}: its source file`).toBe(true);
      }
    }
  });
});
