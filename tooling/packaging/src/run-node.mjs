// Running the docs' `ts run` blocks in Node: each block is transpiled to an .mjs file in a folder
// whose node_modules holds the packages (the workspace's links, or a packed install), and run by a
// fresh `node` in a working folder holding the embedded model's folders; the blocks of one Markdown
// file run in order in one working folder, so a block can read what an earlier one wrote.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toJavaScript } from './compile.mjs';
import { blockId, blockModule, FIXTURE_FOLDERS, FIXTURE_SOURCE } from './snippets.mjs';

/** A working folder with copies of the embedded model's folders; the caller removes it. */
export function fixtureDir(prefix = 'igpt-snippet-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const name of FIXTURE_FOLDERS)
    cpSync(join(FIXTURE_SOURCE, name), join(dir, name), { recursive: true });
  return dir;
}

/**
 * Runs a command; resolves to `{ code, output, ms }` (stdout and stderr together). A command still
 * running after `timeoutMs` is killed, and the output says so.
 */
export function exec(cmd, args, { cwd, env = process.env, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      output += String(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output, ms: performance.now() - t0 });
    });
  });
}

/** Runs `node file` in `cwd`; resolves to `{ code, output, ms }` (stdout and stderr together). */
export function runNode(file, cwd, { timeoutMs = 180_000, env = process.env } = {}) {
  return exec(process.execPath, [file], { cwd, env, timeoutMs });
}

/**
 * Runs the Node blocks of `blocks` (those with `run: 'node'`), each file's in order in its own
 * fixture folder, writing the .mjs files into `moduleDir` (where the packages resolve). Returns one
 * `{ block, code, output, ms }` per block; `env` is given to each `node`.
 */
export async function runNodeBlocks(blocks, moduleDir, { env } = {}) {
  mkdirSync(moduleDir, { recursive: true });
  const results = [];
  const byFile = new Map();
  for (const b of blocks.filter((b) => b.run === 'node'))
    byFile.set(b.file, [...(byFile.get(b.file) ?? []), b]);
  for (const fileBlocks of byFile.values()) {
    const cwd = fixtureDir();
    try {
      for (const block of fileBlocks) {
        const file = join(moduleDir, `${blockId(block)}.mjs`);
        writeFileSync(file, toJavaScript(blockModule(block).text));
        results.push({ block, ...(await runNode(file, cwd, { env })) });
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
  return results;
}
