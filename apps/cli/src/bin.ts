#!/usr/bin/env node
import { quietOnClosedPipes } from './context.js';
import { main } from './main.js';

// `pnpm igpt ...` runs the root script from the repository root; relative paths (images, --out)
// should mean what they mean where the user typed the command, which pnpm and npm keep in INIT_CWD.
if (process.env.npm_lifecycle_event === 'igpt' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

quietOnClosedPipes();
process.exitCode = await main(process.argv.slice(2));
