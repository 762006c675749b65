// `npm run demo`: generates and completes digits with the embedded MNIST model and prints where
// the PNGs are. The demo owns demo-output/ and replaces its own previous images there.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietOnClosedPipes } from './context.js';
import { main } from './main.js';

quietOnClosedPipes();

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const outDir = join(root, 'demo-output');
const digits = join(root, 'apps', 'cli', 'assets', 'digits');
const inputs = readdirSync(digits)
  .filter((f) => f.endsWith('.png'))
  .sort()
  .slice(0, 4)
  .map((f) => join(digits, f));

const steps: string[][] = [
  [
    'generate',
    '--n',
    '16',
    '--out',
    join(outDir, 'generated.png'),
    '--save-tokens',
    join(outDir, 'generated-tokens.json'),
    '--force',
  ],
  ['complete', ...inputs, '--fraction', '0.5', '--n', '4', '--out', join(outDir, 'completed.png'), '--force'],
];
for (const argv of steps) {
  console.log(`$ igpt ${argv.map((a) => (a.startsWith(root) ? a.slice(root.length + 1) : a)).join(' ')}`);
  const code = await main(argv);
  if (code !== 0) process.exit(code);
}
console.log(
  `\nOpen ${join(outDir, 'generated.png')} and ${join(outDir, 'completed.png')} to see the digits.`,
);
