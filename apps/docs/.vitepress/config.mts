import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitepress';

// The API sidebar lists whatever typedoc generated (scripts/build.mjs runs it before this build):
// one folder per package, api/<package name without @imagegpt/>/index.md, and inside it one folder
// per subpath entry point (api/core/graph/index.md). typedoc's own folders (classes/, …) have no index.md.
const apiDir = fileURLToPath(new URL('../api/', import.meta.url));
const entryFolders = (dir: string): string[] =>
  existsSync(`${apiDir}${dir}`)
    ? readdirSync(`${apiDir}${dir}`, { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(`${apiDir}${dir}${d.name}/index.md`))
        .map((d) => d.name)
    : [];
const apiItems = entryFolders('').map((name) => {
  const subpaths = entryFolders(`${name}/`).map((sub) => ({
    text: `@imagegpt/${name}/${sub}`,
    link: `/api/${name}/${sub}/`,
  }));
  return {
    text: `@imagegpt/${name}`,
    link: `/api/${name}/`,
    ...(subpaths.length > 0 ? { items: subpaths, collapsed: true } : {}),
  };
});

// The site's base path; head links are not rewritten by VitePress, so the favicon's is built here.
const base = process.env.DOCS_BASE ?? '/';

export default defineConfig({
  title: 'ImageGPT.ts',
  description: "OpenAI's ImageGPT in TypeScript, for Node.js and the browser",
  base,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: `${base}favicon.svg` }]],
  cleanUrls: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started/node' },
      { text: 'Demo', link: '/demo' },
      { text: 'API', link: '/api/' },
      { text: 'CLI', link: '/reference/cli' },
    ],
    sidebar: [
      {
        text: 'Getting started',
        items: [
          { text: 'Node.js', link: '/getting-started/node' },
          { text: 'Browser', link: '/getting-started/browser' },
          { text: 'Choosing packages', link: '/getting-started/choosing-packages' },
        ],
      },
      { text: 'Concepts', items: [{ text: 'How ImageGPT sees images', link: '/concepts' }] },
      {
        text: 'Guides',
        items: [
          { text: 'Coming from Python', link: '/guides/from-python' },
          { text: 'Generate images', link: '/guides/generate' },
          { text: 'Complete images', link: '/guides/complete' },
          { text: 'Classify and train a head', link: '/guides/classify' },
          { text: 'Attention maps', link: '/guides/attention' },
          { text: 'Save models', link: '/guides/save' },
          { text: 'Features & linear probes', link: '/guides/features' },
          { text: 'The image processor', link: '/guides/processor' },
          { text: 'Palettes', link: '/guides/palettes' },
          { text: 'Export & quantization', link: '/guides/export' },
          { text: "OpenAI's checkpoints", link: '/guides/openai-checkpoints' },
          { text: 'Scale out', link: '/guides/scale-out' },
          { text: 'Limits on the files read', link: '/guides/limits' },
        ],
      },
      { text: 'Live demo', items: [{ text: 'Digits in your browser', link: '/demo' }] },
      {
        text: 'Reference',
        items: [
          { text: 'CLI', link: '/reference/cli' },
          { text: 'config.json schema', link: '/reference/config-schema' },
          { text: 'Performance', link: '/performance' },
          { text: 'API', link: '/api/', items: apiItems },
        ],
      },
    ],
    search: { provider: 'local' },
  },
  vite: {
    // onnxruntime-web is large and ships its own WebAssembly; keep it out of the dev pre-bundle so its
    // `new URL('…wasm', import.meta.url)` keeps pointing at the file.
    optimizeDeps: { exclude: ['onnxruntime-web', '@imagegpt/web'] },
    // The demo's model runs in @imagegpt/web's own worker, which loads onnxruntime-web as a chunk:
    // module workers can split code, classic (iife) ones cannot.
    worker: { format: 'es' },
    build: {
      chunkSizeWarningLimit: 4096,
      assetsInlineLimit: 0,
      rollupOptions: {
        // zod's sources carry esbuild-style comments rollup cannot place; harmless, and noisy.
        onwarn(warning, warn) {
          if (warning.code !== 'INVALID_ANNOTATION') warn(warning);
        },
      },
    },
  },
});
