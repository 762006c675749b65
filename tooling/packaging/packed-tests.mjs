#!/usr/bin/env node
// The packages as users get them, run by `npm test` after vitest (tooling/scripts/run.mjs):
//   1. `pnpm pack` every public package; publint and @arethetypeswrong/cli (profile esm-only) on
//      each tarball, every exports subpath included.
//   2. Each package installed alone with plain npm into an empty project (no workspace, no links;
//      ONNXRUNTIME_NODE_INSTALL=skip): it pulls in only what it needs, and its size is measured.
//   3. The READMEs' `ts run` blocks run against the installed tarballs.
//   4. A Vite app made as the browser guide says (the packed @imagegpt/web and model package, the
//      model files copied into public/ by the guide's own commands, `vite build` with no config),
//      served on 127.0.0.1, generates a digit in headless Chromium (wasm); its bundle is measured.
// Steps 2-4 need the npm registry. Without it they are skipped with one line, unless
// IGPT_REQUIRE_NETWORK=1 (CI), where that is a failure. Step 4 needs Chromium as the browser tests do.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { Checks, startServer, withChromium } from '../scripts/browser/harness.mjs';
import { toJavaScript } from './src/compile.mjs';
import { exec as execIn, fixtureDir, runNode } from './src/run-node.mjs';
import { allBlocks, blockId, blockModule, parseBlocks, REPO_ROOT } from './src/snippets.mjs';

const root = REPO_ROOT;
const here = join(root, 'tooling', 'packaging');
const requireHere = createRequire(join(here, 'package.json'));
const requireNetwork = process.env.IGPT_REQUIRE_NETWORK === '1';
const requireBrowser = process.env.IGPT_REQUIRE_BROWSER === '1';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const keep = process.env.IGPT_KEEP_PACKED === '1';
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pinnedPnpm = rootManifest.packageManager;
const t0 = performance.now();
const checks = new Checks('packed tests');
const report = { packages: {}, bundle: undefined };

/**
 * What each package may not pull in, installed alone. Tools and test-only packages are never runtime
 * dependencies of a library package; the queue package is the one whose job is BullMQ and Redis.
 */
const TOOLS = [
  'playwright-core',
  'playwright',
  'vite',
  'vitest',
  'typescript',
  'publint',
  '@arethetypeswrong/cli',
];
const QUEUE_CLIENTS = ['bullmq', 'ioredis', 'redis', '@redis/client'];
const RUNTIMES = ['onnxruntime-node', 'onnxruntime-web', 'onnxruntime-common', 'protobufjs', 'sharp'];
const FORBIDDEN = {
  '@imagegpt/config': [...TOOLS, ...QUEUE_CLIENTS, ...RUNTIMES],
  '@imagegpt/processor': [...TOOLS, ...QUEUE_CLIENTS, ...RUNTIMES],
  '@imagegpt/core': [...TOOLS, ...QUEUE_CLIENTS, 'onnxruntime-node', 'onnxruntime-web', 'sharp'],
  '@imagegpt/heads': [...TOOLS, ...QUEUE_CLIENTS, 'onnxruntime-node', 'onnxruntime-web', 'sharp'],
  '@imagegpt/web': [...TOOLS, ...QUEUE_CLIENTS, 'onnxruntime-node', 'sharp'],
  '@imagegpt/node': [...TOOLS, ...QUEUE_CLIENTS, 'onnxruntime-web'],
  '@imagegpt/model-mnist-16': [...TOOLS, ...QUEUE_CLIENTS, ...RUNTIMES],
  '@imagegpt/queue': [...TOOLS, 'onnxruntime-web'],
};
const FORBIDDEN_DEFAULT = [...TOOLS, ...QUEUE_CLIENTS];

// ---------------------------------------------------------------------------------------------

/** Runs a command (in the repository root unless `cwd` says otherwise); see run-node.mjs. */
function exec(cmd, args, { cwd = root, ...options } = {}) {
  return execIn(cmd, args, { cwd, ...options });
}

/** Maps `items` through `fn`, `limit` at a time, keeping the order. */
async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const kb = (bytes) => `${(bytes / 1e3).toFixed(0)} kB`;

/** The workspace's public packages: `{ dir, name, manifest }`, dependencies before dependents. */
function publicPackages() {
  const found = readdirSync(join(root, 'packages'))
    .sort()
    .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
    .map((d) => {
      const manifest = JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8'));
      return { dir: join(root, 'packages', d), name: manifest.name, manifest };
    })
    .filter((p) => p.manifest.private !== true);
  return found;
}

/** The @imagegpt packages a package needs at run time, itself included (transitively). */
function internalClosure(name, byName) {
  const seen = new Set();
  const visit = (n) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const dep of Object.keys(byName.get(n)?.manifest.dependencies ?? {}))
      if (byName.has(dep)) visit(dep);
  };
  visit(name);
  return seen;
}

/** Every package folder under a node_modules tree: `[{ name, dir }]`, nested copies included. */
function installedPackages(nodeModules) {
  const found = [];
  if (!existsSync(nodeModules)) return found;
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const dir = join(nodeModules, entry.name);
    if (entry.name.startsWith('@')) {
      for (const sub of readdirSync(dir, { withFileTypes: true })) {
        const subDir = join(dir, sub.name);
        found.push(
          { name: `${entry.name}/${sub.name}`, dir: subDir },
          ...installedPackages(join(subDir, 'node_modules')),
        );
      }
    } else if (entry.isDirectory() || entry.isSymbolicLink()) {
      found.push({ name: entry.name, dir }, ...installedPackages(join(dir, 'node_modules')));
    }
  }
  return found;
}

/** Bytes of the files under a folder (links not followed), as `du --apparent-size` counts them. */
function folderBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}

/** An npm project in `dir` depending on `deps` (tarball paths by name); every @imagegpt package is pinned to its tarball. */
function writeProject(dir, deps, tarballs, devDeps = {}) {
  mkdirSync(dir, { recursive: true });
  const fileSpec = (t) => `file:${t}`;
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: basename(dir),
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(Object.entries(deps).map(([n, t]) => [n, fileSpec(t)])),
        devDependencies: devDeps,
        // The tarballs are not on the registry: their @imagegpt dependencies resolve to the tarballs too.
        overrides: Object.fromEntries(Object.entries(tarballs).map(([n, t]) => [n, fileSpec(t)])),
      },
      null,
      2,
    )}\n`,
  );
}

// Inside `npm test`, npm sets npm_* variables of its own run; the installs must behave as in a
// user's empty folder, so only the registry, cache, proxy and user config settings are passed on.
const KEPT_NPM = new Set([
  'npm_config_registry',
  'npm_config_cache',
  'npm_config_userconfig',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_cafile',
  'npm_config_strict_ssl',
]);
const NPM_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || KEPT_NPM.has(k))),
  ONNXRUNTIME_NODE_INSTALL: 'skip',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};

async function npmInstall(dir) {
  const t = performance.now();
  const r = await exec('npm', ['install', '--prefer-offline', '--no-package-lock'], {
    cwd: dir,
    env: NPM_ENV,
  });
  return { ...r, ms: performance.now() - t };
}

/** Whether the npm registry answers, within a few seconds. */
async function registryReachable() {
  const r = await exec('npm', ['ping', '--fetch-timeout=8000', '--fetch-retries=0'], {
    env: NPM_ENV,
    timeoutMs: 20_000,
  });
  return r.code === 0;
}

/** The README's `ts run` blocks, with the @imagegpt packages each imports. */
function readmeRunBlocks(file) {
  const text = readFileSync(join(root, file), 'utf8');
  return parseBlocks(text, file)
    .filter((b) => b.run === 'node')
    .map((b) => ({
      block: b,
      imports: new Set([...`${b.setup}\n${b.code}`.matchAll(/from '(@imagegpt\/[\w-]+)/g)].map((m) => m[1])),
    }));
}

// ---------------------------------------------------------------------------------------------
// 1. Pack, publint, attw.

const work = mkdtempSync(join(tmpdir(), 'igpt-packed-'));
const tarDir = join(work, 'tarballs');
mkdirSync(tarDir);
const packages = publicPackages();
const byName = new Map(packages.map((p) => [p.name, p]));

checks.phase(`packing ${packages.length} packages`);
const tarballs = {};
const filters = packages.flatMap((p) => ['--filter', p.name]);
// The pinned pnpm from npx's cache when it is there (run.mjs fetched it), so packing needs no network.
const packed = await exec(
  'npx',
  ['--yes', pinnedPnpm, '--recursive', ...filters, 'pack', '--pack-destination', tarDir],
  { env: { ...process.env, npm_config_prefer_offline: 'true' } },
);
for (const p of packages) {
  // pnpm names a tarball after the package: @imagegpt/config 0.1.0 → imagegpt-config-0.1.0.tgz.
  const made = join(tarDir, `${p.name.replace('@', '').replace('/', '-')}-${p.manifest.version}.tgz`);
  const ok = packed.code === 0 && existsSync(made);
  checks.check(`${p.name}: pnpm pack`, ok, ok ? kb(lstatSync(made).size) : packed.output.slice(-2000));
  if (ok) tarballs[p.name] = made;
}
if (Object.keys(tarballs).length !== packages.length) finish();

checks.phase('metadata, publint and attw --profile esm-only');
for (const p of packages) {
  const m = p.manifest;
  const readme = join(p.dir, 'README.md');
  const runnable = existsSync(readme)
    ? parseBlocks(readFileSync(readme, 'utf8'), readme).filter((b) => b.run !== undefined).length
    : 0;
  const missing = [
    typeof m.repository?.url === 'string' && m.repository.directory === relative(root, p.dir)
      ? undefined
      : 'repository (url, directory)',
    typeof m.license === 'string' ? undefined : 'license',
    typeof m.engines?.node === 'string' ? undefined : 'engines.node',
    Array.isArray(m.files) && m.files.includes('README.md') ? undefined : 'files with README.md',
    typeof m.description === 'string' ? undefined : 'description',
    runnable >= 1 ? undefined : 'a README with a runnable (`ts run` or `ts run-browser`) example',
  ].filter(Boolean);
  checks.check(
    `${p.name}: repository, license, engines, files, description, a README with a runnable example`,
    missing.length === 0,
    missing.length === 0 ? undefined : `missing: ${missing.join(', ')}`,
  );
}
const attw = join(here, 'node_modules', '.bin', 'attw');
await mapLimit(packages, 2, async (p) => {
  const tarball = readFileSync(tarballs[p.name]);
  const lint = await publint({
    pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  checks.check(
    `${p.name}: publint (suggestions and warnings count as errors)`,
    lint.messages.length === 0,
    lint.messages.map((m) => formatMessage(m, lint.pkg) ?? m.code).join('; ') || undefined,
  );
  const types = await exec(attw, [tarballs[p.name], '--profile', 'esm-only', '--format', 'ascii'], {
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const entryPoints = Object.keys(p.manifest.exports ?? { '.': null }).length;
  checks.check(
    `${p.name}: attw --profile esm-only (${entryPoints} entry point${entryPoints === 1 ? '' : 's'})`,
    types.code === 0,
    types.code === 0 ? undefined : types.output.slice(-3000),
  );
});

// ---------------------------------------------------------------------------------------------
// The release tooling: `changeset status` reads the pending changesets, and `changeset version`
// applies them, on a copy of the repository (tracked and untracked files, not ignored ones) that is
// its own git repository on `main`, so the working tree is never touched.

checks.phase('changeset status and changeset version on a copy of the repository');
await changesetCheck();

async function changesetCheck() {
  const copy = join(work, 'repo-copy');
  const listed = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  for (const rel of listed.output.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, rel))) continue; // deleted but not yet staged
    mkdirSync(dirname(join(copy, rel)), { recursive: true });
    cpSync(join(root, rel), join(copy, rel), { verbatimSymlinks: true });
  }
  const git = (args) =>
    exec('git', ['-c', 'user.name=packed tests', '-c', 'user.email=packed@tests.invalid', ...args], {
      cwd: copy,
    });
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'copy'],
  ]) {
    const r = await git(args);
    if (r.code !== 0) {
      checks.check(`changeset: git ${args[0]} in the copy`, false, r.output.slice(-2000));
      return;
    }
  }
  const changeset = (args) =>
    exec(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), ...args], {
      cwd: copy,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
  const pending = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  const status = await changeset(['status', '--output', 'plan.json']);
  const plan = status.code === 0 ? JSON.parse(readFileSync(join(copy, 'plan.json'), 'utf8')) : undefined;
  checks.check(
    `changeset status: ${pending.length} changesets read`,
    plan !== undefined && plan.changesets.length === pending.length,
    plan === undefined ? status.output.slice(-2000) : `${plan.releases.length} packages to release`,
  );
  if (plan === undefined) return;
  const version = await changeset(['version']);
  const left = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  const wrong = [];
  for (const release of plan.releases) {
    if (release.type === 'none') continue;
    const p = packages.find((q) => q.name === release.name);
    const dir = p ? join(copy, 'packages', basename(p.dir)) : undefined;
    if (dir === undefined) continue; // apps and private tooling are versioned too; only the published ones are checked
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (manifest.version !== release.newVersion)
      wrong.push(`${release.name} is ${manifest.version}, planned ${release.newVersion}`);
    if (!existsSync(join(dir, 'CHANGELOG.md'))) wrong.push(`${release.name} has no CHANGELOG.md`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
      if (dep.startsWith('@imagegpt/') && !range.startsWith('workspace:'))
        wrong.push(`${release.name} depends on ${dep}@${range}, not the workspace`);
  }
  checks.check(
    'changeset version: versions and changelogs as planned, the changesets consumed',
    version.code === 0 && left.length === 0 && wrong.length === 0,
    version.code !== 0
      ? version.output.slice(-2000)
      : [...wrong, ...left.map((f) => `left: ${f}`)].join('; ') || undefined,
  );
}

// ---------------------------------------------------------------------------------------------
// 2-4 need the registry.

if (!(await registryReachable())) {
  const line = 'packed installs skipped: the npm registry is not reachable (npm ping failed)';
  if (requireNetwork) {
    checks.check(`${line.replace('skipped', 'FAILED')}; IGPT_REQUIRE_NETWORK=1 requires them`, false);
  } else console.log(line);
  finish();
}

// 2. Each package alone. The Vite app's install (step 4) goes on beside them: installs mostly wait
// on the network and the disk.
checks.phase('installing each package alone with npm');
const viteApp = viteAppInstall();
const installs = await mapLimit(packages, 2, async (p) => {
  const dir = join(work, `alone-${p.name.replace('@imagegpt/', '')}`);
  writeProject(dir, { [p.name]: tarballs[p.name] }, tarballs);
  const r = await npmInstall(dir);
  return { p, dir, ...r };
});
for (const { p, dir, code, output, ms } of installs) {
  checks.check(
    `${p.name}: npm install of the tarball alone`,
    code === 0,
    code === 0 ? seconds(ms) : output.slice(-3000),
  );
  if (code !== 0) continue;
  const installed = installedPackages(join(dir, 'node_modules'));
  const names = new Set(installed.map((i) => i.name));
  const forbidden = (FORBIDDEN[p.name] ?? FORBIDDEN_DEFAULT).filter((n) => names.has(n));
  checks.check(
    `${p.name}: pulls in none of ${(FORBIDDEN[p.name] ?? FORBIDDEN_DEFAULT).length} packages it does not need`,
    forbidden.length === 0,
    forbidden.length === 0 ? undefined : `installed: ${forbidden.join(', ')}`,
  );
  const internal = [...names].filter((n) => n.startsWith('@imagegpt/')).sort();
  const wanted = [...internalClosure(p.name, byName)].sort();
  checks.check(
    `${p.name}: its own @imagegpt dependencies only`,
    JSON.stringify(internal) === JSON.stringify(wanted),
    internal.join(', '),
  );
  const bytes = folderBytes(join(dir, 'node_modules'));
  const own = folderBytes(join(dir, 'node_modules', ...p.name.split('/')));
  report.packages[p.name] = {
    tarballBytes: lstatSync(tarballs[p.name]).size,
    ownBytes: own,
    installedBytes: bytes,
    packages: names.size,
    heaviest: installed
      .filter((i) => !i.name.startsWith('@imagegpt/'))
      .map((i) => ({ name: i.name, bytes: folderBytes(i.dir) }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3),
  };
}

// The Choosing packages page states these sizes: each within a quarter of what was measured.
checkSizesPage();

// 3. The READMEs' runnable blocks against the packed packages, each in an alone install (after its
// checks) that has what the block imports: its own package's when that suffices, else the one that
// lacks the least (by installed size), with the missing tarballs added. The node and queue
// examples import the model package too, so it is added to their installs; the model package's
// example imports @imagegpt/node, so it runs in node's install with the model added, rather than
// pulling ONNX Runtime into the model's install.
checks.phase("running the READMEs' `ts run` blocks against the tarballs");
const readmes = ['README.md', ...packages.map((p) => join('packages', basename(p.dir), 'README.md'))];
const runs = [];
const ready = installs.filter((i) => i.code === 0);
for (const file of readmes) {
  const owner = packages.find((p) => file === join('packages', basename(p.dir), 'README.md'));
  for (const { block, imports } of readmeRunBlocks(file)) {
    const options = ready.map((install) => {
      const closure = new Set([...internalClosure(install.p.name, byName), ...(install.added ?? [])]);
      const missing = [...imports].filter((i) => !closure.has(i));
      const cost = missing.reduce(
        (s, m) => s + (report.packages[m]?.installedBytes ?? Number.POSITIVE_INFINITY),
        0,
      );
      return { install, missing, cost: install.p === owner ? cost - 1 : cost };
    });
    const best = options.sort((a, b) => a.cost - b.cost)[0];
    if (best === undefined) continue;
    const { install, missing } = best;
    if (missing.length > 0) {
      install.added = [...(install.added ?? []), ...missing];
      const deps = Object.fromEntries([install.p.name, ...install.added].map((n) => [n, tarballs[n]]));
      writeProject(install.dir, deps, tarballs);
      const r = await npmInstall(install.dir);
      checks.check(
        `${install.p.name}: npm install of ${missing.join(', ')} beside it, for ${block.file}`,
        r.code === 0,
        r.code === 0 ? seconds(r.ms) : r.output.slice(-3000),
      );
    }
    const where = [install.p.name, ...(install.added ?? [])].join(' + ');
    runs.push({ block, project: install.dir, where });
  }
}
const cwd = fixtureDir('igpt-packed-run-');
for (const { block, project, where } of runs) {
  const file = join(project, 'snippets', `${blockId(block)}.mjs`);
  mkdirSync(join(project, 'snippets'), { recursive: true });
  writeFileSync(file, toJavaScript(blockModule(block).text));
  const r = await runNode(file, cwd, { env: { ...process.env, NODE_PATH: '' } });
  checks.check(
    `${block.file}:${block.line} runs against the tarballs (${where})`,
    r.code === 0,
    r.code === 0 ? seconds(r.ms) : r.output.slice(-3000),
  );
}
rmSync(cwd, { recursive: true, force: true });

// 4. The browser app.
await browserApp();

finish();

// ---------------------------------------------------------------------------------------------

/** The browser guide's commands that put the model files into public/ (its ```sh blocks naming public/). */
function guideCopyCommands() {
  const guide = readFileSync(join(root, 'apps', 'docs', 'getting-started', 'browser.md'), 'utf8');
  const blocks = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((b) => b.includes('public/'));
  if (blocks.length === 0)
    throw new Error('the browser guide has no ```sh block that copies the model into public/');
  return blocks.join('\n');
}

/** Writes the Vite app's package.json (the packed web and model packages, vite) and installs it. */
async function viteAppInstall() {
  const app = join(work, 'vite-app');
  const viteVersion = rootManifest.devDependencies.vite;
  writeProject(
    app,
    {
      '@imagegpt/web': tarballs['@imagegpt/web'],
      '@imagegpt/model-mnist-16': tarballs['@imagegpt/model-mnist-16'],
    },
    tarballs,
    { vite: viteVersion },
  );
  return { app, viteVersion, install: await npmInstall(app) };
}

async function browserApp() {
  checks.phase('a Vite app made as the browser guide says');
  if (!existsSync(chromiumPath)) {
    const line = `packed browser app skipped: no Chromium at ${chromiumPath}`;
    if (requireBrowser) checks.check(`${line}; IGPT_REQUIRE_BROWSER=1 requires it`, false);
    else console.log(line);
    return;
  }
  // Every `ts run-browser` block of the READMEs and docs pages runs on the app's page, one after
  // another on the same canvas, the web README's first.
  const examples = allBlocks()
    .filter((b) => b.run === 'browser')
    .sort(
      (a, b) => Number(b.file === 'packages/web/README.md') - Number(a.file === 'packages/web/README.md'),
    );
  checks.check(
    'packages/web/README.md has a `ts run-browser` example',
    examples[0]?.file === 'packages/web/README.md',
  );
  if (examples.length === 0) return;
  const { app, viteVersion, install } = await viteApp;
  checks.check(
    `vite app: npm install (packed web and model, vite ${viteVersion})`,
    install.code === 0,
    install.code === 0 ? seconds(install.ms) : install.output.slice(-3000),
  );
  if (install.code !== 0) return;
  const copy = await exec('bash', ['-euo', 'pipefail', '-c', guideCopyCommands()], { cwd: app });
  const served = join(app, 'public', 'models', 'igpt-mnist-16');
  checks.check(
    "vite app: the guide's commands copy the model into public/",
    copy.code === 0 && existsSync(join(served, 'model.safetensors')),
    copy.output.trim() || undefined,
  );
  mkdirSync(join(app, 'src'));
  for (const [i, block] of examples.entries())
    writeFileSync(
      join(app, 'src', `example-${i}.ts`),
      `// ${block.file}:${block.line}\n${block.code}\nexport {};\n`,
    );
  // The page runs the examples as they are, in order, and says in its title how far it got: `done`,
  // or `error in <file:line>: <message>` for the check below.
  writeFileSync(
    join(app, 'src', 'main.ts'),
    [
      'const examples: [string, () => Promise<unknown>][] = [',
      ...examples.map((b, i) => `  ['${b.file}:${b.line}', () => import('./example-${i}.ts')],`),
      '];',
      'for (const [where, run] of examples) {',
      '  try {',
      '    await run();',
      '  } catch (e) {',
      "    document.title = 'error in ' + where + ': ' + e;",
      '    throw e;',
      '  }',
      '}',
      "document.title = 'done';",
      'export {};',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html>\n<html>\n  <head><meta charset="utf-8" /><link rel="icon" href="data:," /><title>loading</title></head>\n  <body>\n    <canvas width="128" height="128"></canvas>\n    <script type="module" src="/src/main.ts"></script>\n  </body>\n</html>\n',
  );
  const build = await exec(join(app, 'node_modules', '.bin', 'vite'), ['build'], { cwd: app, env: NPM_ENV });
  checks.check(
    'vite app: `vite build` with no config',
    build.code === 0,
    build.code === 0 ? undefined : build.output.slice(-3000),
  );
  if (build.code !== 0) return;
  const assets = readdirSync(join(app, 'dist', 'assets')).map((name) => {
    const bytes = readFileSync(join(app, 'dist', 'assets', name));
    return { name, bytes: bytes.length, gzip: gzipSync(bytes).length };
  });
  const sum = (list, key) => list.reduce((s, a) => s + a[key], 0);
  const js = assets.filter((a) => a.name.endsWith('.js'));
  const wasm = assets.filter((a) => a.name.endsWith('.wasm'));
  const other = assets.filter((a) => !a.name.endsWith('.js') && !a.name.endsWith('.wasm'));
  report.bundle = {
    js: { files: js.length, bytes: sum(js, 'bytes'), gzip: sum(js, 'gzip') },
    wasm: { files: wasm.map((a) => a.name), bytes: sum(wasm, 'bytes'), gzip: sum(wasm, 'gzip') },
    other: other.map((a) => ({ name: a.name, bytes: a.bytes })),
    model: folderBytes(served),
  };
  checks.check(
    'vite app: the bundle holds the ONNX Runtime wasm',
    wasm.length > 0,
    wasm.map((a) => a.name).join(', '),
  );

  const server = await startServer([['/', join(app, 'dist')]]);
  const notFound = [];
  try {
    const { chromium } = requireHere('playwright-core');
    await withChromium(
      chromium,
      { executablePath: chromiumPath, profilePrefix: 'igpt-packed-chromium-' },
      async (context) => {
        const page = context.pages()[0] ?? (await context.newPage());
        const errors = [];
        page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
        page.on('pageerror', (e) => errors.push(e.message));
        page.on(
          'response',
          (r) => r.status() >= 400 && notFound.push(`${r.status()} ${new URL(r.url()).pathname}`),
        );
        await page.goto(`${server.origin}/`);
        await page
          .waitForFunction(() => document.title !== 'loading', undefined, { timeout: 120_000 })
          .catch(() => {});
        const title = await page.title();
        const ink = await page.evaluate(() => {
          const canvas = document.querySelector('canvas');
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let bright = 0;
          let opaque = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] === 255) opaque++;
            if (data[i] > 128) bright++;
          }
          return { bright, opaque, pixels: data.length / 4 };
        });
        checks.check(
          `vite app: ${examples.length} \`ts run-browser\` blocks run in Chromium (wasm), the last one draws a digit (${examples.map((b) => `${b.file}:${b.line}`).join(', ')})`,
          title === 'done' && ink.opaque === ink.pixels && ink.bright > 0,
          `${title}; ${ink.bright} bright of ${ink.pixels} pixels drawn`,
        );
        checks.check('vite app: no console errors', errors.length === 0, errors.join('\n') || undefined);
        checks.check(
          'vite app: every request found (no 404)',
          notFound.length === 0,
          notFound.join(', ') || undefined,
        );
        mkdirSync(join(root, 'test-artifacts'), { recursive: true });
        await page.screenshot({ path: join(root, 'test-artifacts', 'packed-vite-app.png') });
      },
    );
  } finally {
    server.close();
  }
}

/**
 * The table after `<!-- installed-sizes -->` on the Choosing packages page: every public package has a
 * row whose "on disk" figure is within 25% of the measured one. A failure prints the measured rows in
 * the page's format.
 */
function checkSizesPage() {
  const file = 'apps/docs/getting-started/choosing-packages.md';
  const text = readFileSync(join(root, file), 'utf8');
  const table = text.split('<!-- installed-sizes')[1]?.split('\n\n')[0] ?? '';
  const stated = new Map(
    [...table.matchAll(/^\| `(@imagegpt\/[\w-]+)` \| [^|]+ \| ([\d.]+) MB \|/gm)].map((m) => [
      m[1],
      Number(m[2]) * 1e6,
    ]),
  );
  const off = [];
  for (const [name, r] of Object.entries(report.packages)) {
    const said = stated.get(name);
    if (said === undefined) off.push(`${name}: no row`);
    else if (Math.abs(r.installedBytes - said) > 0.25 * said)
      off.push(`${name}: the page says ${mb(said)}, measured ${mb(r.installedBytes)}`);
  }
  const rows = Object.entries(report.packages).map(
    ([name, r]) =>
      `| \`${name}\` | ${kb(r.tarballBytes)} | ${mb(r.installedBytes)} | ${r.packages} | ${r.heaviest.map((h) => `${h.name} ${mb(h.bytes)}`).join(', ')} |`,
  );
  checks.check(
    `${file}: the installed sizes it states are within 25% of the measured ones`,
    Object.keys(report.packages).length === packages.length && off.length === 0,
    off.length === 0 ? undefined : `${off.join('; ')}\nmeasured:\n${rows.join('\n')}`,
  );
}

/** Prints the sizes, writes test-artifacts/packed-report.json, the closing line, and exits. */
function finish() {
  const rows = Object.entries(report.packages);
  if (rows.length > 0) {
    console.log(
      '\ninstalled alone (npm, ONNXRUNTIME_NODE_INSTALL=skip): package, tarball, node_modules, packages, heaviest',
    );
    for (const [name, r] of rows) {
      const heavy = r.heaviest.map((h) => `${h.name} ${mb(h.bytes)}`).join(', ');
      console.log(
        `  ${name.padEnd(26)} ${kb(r.tarballBytes).padStart(8)} ${mb(r.installedBytes).padStart(9)} ${String(r.packages).padStart(4)}  ${heavy}`,
      );
    }
  }
  if (report.bundle) {
    const b = report.bundle;
    console.log(
      `vite app bundle: JS ${kb(b.js.bytes)} (${kb(b.js.gzip)} gzip) in ${b.js.files} files; ` +
        `ONNX Runtime wasm ${mb(b.wasm.bytes)} (${mb(b.wasm.gzip)} gzip); model files ${mb(b.model)}`,
    );
  }
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  writeFileSync(
    join(root, 'test-artifacts', 'packed-report.json'),
    `${JSON.stringify({ ...report, results: checks.results }, null, 2)}\n`,
  );
  if (!keep) rmSync(work, { recursive: true, force: true });
  else console.log(`packed tests: kept ${work}`);
  console.log(`packed tests took ${seconds(performance.now() - t0)}`);
  console.log(`packed: ${checks.results.length - checks.failed} passed, ${checks.failed} failed`);
  process.exit(checks.failed === 0 ? 0 : 1);
}
