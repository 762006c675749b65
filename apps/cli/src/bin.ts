#!/usr/bin/env node
import { quietOnClosedPipes } from './context.js';
import { main } from './main.js';

quietOnClosedPipes();
process.exitCode = await main(process.argv.slice(2));
