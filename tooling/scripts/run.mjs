#!/usr/bin/env node
// Entry point for `npm test` and `npm run demo` on a fresh clone: bootstraps the pinned pnpm
// through npx (no global install), installs, builds, then runs the task. Safe to run again.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // pnpm@x.y.z
const task = process.argv[2];
const extra = process.argv.slice(3);

// turbo's telemetry would phone home; there is no network here anyway.
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function pnpm(args) {
  const agent = process.env.npm_config_user_agent ?? '';
  if (agent.startsWith(`${pinned.replace('@', '/')} `)) run('pnpm', args);
  else run('npx', ['--yes', pinned, ...args]);
}

function bin(name) {
  return join(root, 'node_modules', '.bin', name);
}

function installAndBuild() {
  pnpm(['install', '--frozen-lockfile', '--reporter=silent']);
  // Through pnpm, so turbo finds the package manager it was pinned to.
  pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
}

if (task === 'test') {
  installAndBuild();
  run(bin('biome'), ['check', '.']);
  // The build compiles sources only; this also type-checks the tests, scripts and the browser page.
  pnpm(['exec', 'turbo', 'run', 'typecheck', '--output-logs=errors-only']);
  run(bin('vitest'), ['run', ...extra]);
  const browser = join(root, 'tooling', 'scripts', 'browser-tests.mjs');
  if (existsSync(browser)) run(process.execPath, [browser]);
  // The packages as users get them: packed, installed with npm, bundled by Vite (needs the npm registry).
  const packed = join(root, 'tooling', 'packaging', 'packed-tests.mjs');
  if (existsSync(packed)) run(process.execPath, [packed]);
} else if (task === 'demo') {
  installAndBuild();
  run(process.execPath, [join(root, 'apps', 'cli', 'dist', 'demo.js'), ...extra]);
} else {
  console.error(`usage: run.mjs test|demo (got ${task ?? 'nothing'})`);
  process.exit(2);
}
