// `npm run demo`: generates and completes digits with the embedded MNIST model and prints where
// the PNGs are. The demo owns demo-output/ in the folder it runs in (the repository root under
// `npm run demo`) and replaces its own previous images there; its input digits ship beside it in
// this package (assets/digits), so nothing depends on where the repository puts the package.
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietOnClosedPipes } from './context.js';
import { main } from './main.js';

quietOnClosedPipes();

const root = process.cwd();
const outDir = join(root, 'demo-output');
const digits = resolve(fileURLToPath(new URL('../assets/digits', import.meta.url)));
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
  console.log(`$ igpt ${argv.map((a) => (a.startsWith(root) ? relative(root, a) : a)).join(' ')}`);
  const code = await main(argv);
  if (code !== 0) process.exit(code);
}
console.log(
  `\nOpen ${join(outDir, 'generated.png')} and ${join(outDir, 'completed.png')} to see the digits.`,
);
