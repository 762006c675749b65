import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceAliases } from '@imagegpt/test-kit/vitest';
import { build, type Plugin, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isBuiltin = (id: string) =>
  id.startsWith('node:') || BUILTINS.has(id) || BUILTINS.has(id.split('/')[0]!);

/** Whether the package that holds `importer` maps `source` to `false` in its package.json `browser` field. */
function stubbedForBrowsers(importer: string, source: string): boolean {
  for (let dir = dirname(importer); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const browser = (JSON.parse(readFileSync(manifest, 'utf8')) as { browser?: unknown }).browser;
    return (
      typeof browser === 'object' &&
      browser !== null &&
      (browser as Record<string, unknown>)[source] === false
    );
  }
  return false;
}

/** Bundles @imagegpt/web as a browser app would (vite, browser conditions), recording every import it resolves. */
async function bundleWeb(): Promise<{
  chunks: Rollup.OutputChunk[];
  assets: Rollup.OutputAsset[];
  builtinImports: string[];
  stubbed: string[];
}> {
  const builtinImports: string[] = [];
  const stubbed: string[] = [];
  const recorder: Plugin = {
    name: 'record-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!isBuiltin(source)) return null;
      // A package may stub a built-in for browsers itself (`"browser": { "fs": false }`, as protobufjs
      // does for an optional `fs`); the bundler then inlines an empty module, which is fine.
      if (importer !== undefined && stubbedForBrowsers(importer, source))
        stubbed.push(`${source} (stubbed by ${importer})`);
      else builtinImports.push(`${source} (imported by ${importer ?? 'the entry'})`);
      return null;
    },
  };
  const output = (await build({
    configFile: false,
    logLevel: 'silent',
    root: fileURLToPath(new URL('..', import.meta.url)),
    // The sibling packages (and their entry points, such as @imagegpt/core/graph) from source.
    resolve: { alias: workspaceAliases() },
    plugins: [recorder],
    build: {
      write: false,
      minify: false,
      // An app build (not library mode, which would inline the 28 MB .wasm as base64), keeping the exports.
      assetsInlineLimit: 0,
      rollupOptions: {
        input: fileURLToPath(new URL('./index.ts', import.meta.url)),
        preserveEntrySignatures: 'strict',
      },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const items = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
  return {
    chunks: items.filter((i): i is Rollup.OutputChunk => i.type === 'chunk'),
    assets: items.filter((i): i is Rollup.OutputAsset => i.type === 'asset'),
    builtinImports,
    stubbed,
  };
}

describe('@imagegpt/web bundle', () => {
  it('has no Node built-ins: none imported, none referenced by our code', async () => {
    const { chunks, assets, builtinImports, stubbed } = await bundleWeb();
    expect(builtinImports).toEqual([]);
    // protobufjs (the ONNX writer in core) asks for an optional `fs` and stubs it for browsers itself.
    expect(stubbed.every((s) => s.startsWith('fs (stubbed by ') && s.includes('protobufjs'))).toBe(true);
    const code = chunks.map((c) => c.code).join('\n');
    expect(code.length).toBeGreaterThan(100_000); // onnxruntime-web and our packages are really in it
    // No module-level import of a built-in survives in any chunk.
    // (Matches are compared, not the code, so a failure prints the offending import, not megabytes.)
    expect(
      code.match(
        /\bfrom\s*["'](node:|fs|path|child_process|os|crypto|url|module|worker_threads)["'/][^;\n]*/,
      )?.[0],
    ).toBeUndefined();
    expect(
      code.match(/\bimport\s*\(\s*["'](node:|fs["']|path["']|child_process["'])[^)]*\)/)?.[0],
    ).toBeUndefined();
    // Our own modules (everything not from node_modules) must not touch Node's globals either.
    // onnxruntime-web itself carries `node:fs` strings in branches guarded by `typeof process`/`navigator`
    // checks, behind a throwing require shim; they are not imports and never run in a browser.
    const ours = chunks
      .flatMap((c) => Object.entries(c.modules))
      .filter(([id]) => !id.includes('node_modules'));
    expect(ours.length).toBeGreaterThan(20);
    for (const [id, mod] of ours) {
      const text = mod.code ?? '';
      const found = text.match(
        /\bprocess\.|\bBuffer\b|\brequire\(|__dirname|__filename|["']node:|from ["'](fs|path|child_process|os)["']/,
      );
      expect(found?.[0], `${id} references a Node built-in`).toBeUndefined();
    }
    // The runtime's WebAssembly binaries are emitted as assets for the page to fetch: the CPU-only
    // build and the one with WebGPU, each behind a dynamic import of its own, so a page loads the
    // one its device needs and the entry chunk holds neither.
    const wasm = assets.map((a) => a.fileName).filter((n) => n.endsWith('.wasm'));
    expect(wasm.some((n) => /ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(n))).toBe(true);
    expect(wasm.some((n) => /ort-wasm-simd-threaded\.jsep-[\w-]+\.wasm$/.test(n))).toBe(true);
    const entry = chunks.find((c) => c.isEntry);
    expect(Object.keys(entry?.modules ?? {}).filter((id) => id.includes('onnxruntime-web'))).toEqual([]);
    const runtimeChunks = chunks.filter(
      (c) => c.isDynamicEntry && Object.keys(c.modules).some((id) => id.includes('onnxruntime-web/dist/ort')),
    );
    expect(runtimeChunks.length).toBe(2);
  }, 120_000);
});
