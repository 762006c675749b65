#!/usr/bin/env node
// `pnpm bench`: `igpt bench` run from the repository, given the golden small-causal case when the
// shared data is there, so the quantized logit error is reported; the CLI itself knows nothing of
// the repository's layout. Extra arguments (`pnpm bench --quick`) are passed on. Results land in
// apps/cli/bench-results/, where `pnpm --filter @imagegpt/cli run bench` puts them too.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, sharedDir } from '@imagegpt/test-kit';

const cli = join(REPO_ROOT, 'apps', 'cli');
const golden = join(sharedDir(), 'golden', 'small-causal');
const args = [
  join(cli, 'dist', 'bin.js'),
  'bench',
  ...(existsSync(golden) ? ['--golden', golden] : []),
  ...process.argv.slice(2),
];
const run = spawnSync(process.execPath, args, { cwd: cli, stdio: 'inherit' });
if (run.error) throw run.error;
process.exit(run.status ?? 1);
