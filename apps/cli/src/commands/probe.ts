import { readImage, trainLinearProbe } from '@imagegpt/node';
import { Command, Option } from 'commander';
import sharp from 'sharp';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, int, modelOption, num } from '../main.js';
import { progressBar } from '../progress.js';
import { checkOutputs, listLabelled, loadCausal, readModelConfig, writeOutput } from './shared.js';

interface ProbeFlags extends GlobalOptions {
  model?: string;
  train: string;
  test: string;
  layers: 'all' | number[];
  limit?: number;
  l2: number;
  out: string;
  force?: boolean;
}

/** `igpt probe`: the iGPT paper's linear probe, accuracy by layer. */
export function probeCommand(io: Io): Command {
  return common(new Command('probe'))
    .description('linear probes (multinomial logistic regression) on mean-pooled features of each layer')
    .addOption(modelOption())
    .requiredOption('--train <dir>', 'training images, DIR/<label>/*.png')
    .requiredOption('--test <dir>', 'test images, DIR/<label>/*.png')
    .addOption(
      new Option('--layers <list>', '"all" or comma-separated hidden-state indices, e.g. 0,2,4')
        .default('all')
        .argParser(parseLayers),
    )
    .addOption(
      new Option('--limit <n>', 'use at most n images per label from each folder').argParser(int('--limit')),
    )
    .addOption(
      new Option('--l2 <lambda>', 'L2 regularisation, >= 0')
        .default(1e-3)
        .argParser(num('--l2', 0, Number.POSITIVE_INFINITY)),
    )
    .option('--out <file>', 'PNG plot of accuracy against layer', 'probe.png')
    .option('--force', 'overwrite an existing output file')
    .addHelpText(
      'after',
      `
Write the MNIST digits in that layout with: node apps/cli/scripts/mnist-folders.mjs OUT_DIR

Examples:
  $ igpt probe --train mnist/train --test mnist/test --limit 200
  $ igpt probe --train a --test b --layers 0,2,4 --json`,
    )
    .action(async (flags: ProbeFlags) => {
      checkOutputs([flags.out], flags.force);
      // The config alone settles --layers, before the folders are listed and the weights load.
      const { nLayer } = await readModelConfig(flags.model, 'causal');
      const layers = flags.layers === 'all' ? Array.from({ length: nLayer + 1 }, (_, i) => i) : flags.layers;
      for (const l of layers) {
        if (l > nLayer) throw new CliError(`--layers: ${l} is not a hidden-state index in 0..${nLayer}`);
      }
      const train = await listLabelled(flags.train);
      const test = await listLabelled(flags.test);
      if (train.labels.join('\0') !== test.labels.join('\0')) {
        throw new CliError(
          `--train labels (${train.labels.join(', ')}) differ from --test labels (${test.labels.join(', ')})`,
        );
      }
      const limit = (files: { path: string; label: number }[]) => {
        if (!flags.limit) return files;
        const seen = new Map<number, number>();
        return files.filter((f) => {
          const n = seen.get(f.label) ?? 0;
          seen.set(f.label, n + 1);
          return n < flags.limit!;
        });
      };
      const trainFiles = limit(train.files);
      const testFiles = limit(test.files);
      const model = await loadCausal(flags, 'batch');
      try {
        const trainImages = await Promise.all(trainFiles.map((f) => readImage(f.path)));
        const testImages = await Promise.all(testFiles.map((f) => readImage(f.path)));
        const bar = progressBar(io, !flags.json, 'probe', layers.length);
        const results: { layer: number; accuracy: number; trainAccuracy: number }[] = [];
        try {
          // One forward pass per batch gives every layer's features.
          const ftrainAll = await model.featuresByLayer(trainImages, { layers, pooling: 'mean' });
          const ftestAll = await model.featuresByLayer(testImages, { layers, pooling: 'mean' });
          const ytrain = trainFiles.map((f) => f.label);
          const ytest = testFiles.map((f) => f.label);
          for (const [i, layer] of layers.entries()) {
            const ftrain = ftrainAll[i]!;
            const ftest = ftestAll[i]!;
            const probe = trainLinearProbe(ftrain, ytrain, { numClasses: train.labels.length, l2: flags.l2 });
            results.push({
              layer,
              accuracy: probe.accuracy(ftest, ytest),
              trainAccuracy: probe.accuracy(ftrain, ytrain),
            });
            bar.update(i + 1);
          }
        } finally {
          bar.stop();
        }
        const png = await plotAccuracy(
          results,
          `linear probe: ${trainFiles.length} train / ${testFiles.length} test images`,
        );
        const out = await writeOutput(flags.out, png, flags.force);
        report(
          io,
          flags,
          { out, train: trainFiles.length, test: testFiles.length, labels: train.labels, layers: results },
          () => [
            `layer  test acc  train acc   (${trainFiles.length} train, ${testFiles.length} test images)`,
            ...results.map(
              (r) =>
                `${String(r.layer).padStart(5)}  ${(r.accuracy * 100).toFixed(1).padStart(7)}%  ${(r.trainAccuracy * 100).toFixed(1).padStart(8)}%`,
            ),
            `plot: ${out}`,
          ],
        );
      } finally {
        await model.dispose();
      }
    });
}

/** Parses --layers: "all", or distinct comma-separated integers >= 0 (the model bounds them later). */
function parseLayers(list: string): 'all' | number[] {
  if (list.trim() === 'all') return 'all';
  const layers: number[] = [];
  for (const entry of list.split(',').map((s) => s.trim())) {
    if (entry === '')
      throw new CliError(`--layers: empty entry in "${list}"; give "all" or indices like 0,2,4`);
    const l = Number(entry);
    if (!Number.isInteger(l) || l < 0)
      throw new CliError(`--layers: "${entry}" is not a hidden-state index (an integer >= 0)`);
    if (layers.includes(l)) throw new CliError(`--layers: ${l} is listed twice in "${list}"`);
    layers.push(l);
  }
  return layers;
}

/** Draws accuracy against layer as an SVG and renders it to PNG with sharp. */
async function plotAccuracy(
  results: { layer: number; accuracy: number }[],
  title: string,
): Promise<Uint8Array> {
  const w = 640;
  const h = 400;
  const m = { left: 60, right: 20, top: 40, bottom: 50 };
  const layers = results.map((r) => r.layer);
  const lo = Math.min(...layers);
  const hi = Math.max(...layers, lo + 1);
  // Half a step of margin on each side keeps the end labels clear of the axis.
  const x = (l: number) => m.left + ((l - lo + 0.5) / (hi - lo + 1)) * (w - m.left - m.right);
  const y = (a: number) => h - m.bottom - a * (h - m.top - m.bottom);
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const path = results
    .map((r, i) => `${i ? 'L' : 'M'}${x(r.layer).toFixed(1)},${y(r.accuracy).toFixed(1)}`)
    .join(' ');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>
${ticks.map((t) => `<line x1="${m.left}" x2="${w - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${m.left - 8}" y="${y(t) + 4}" text-anchor="end">${Math.round(t * 100)}%</text>`).join('\n')}
${layers.map((l) => `<text x="${x(l)}" y="${h - m.bottom + 18}" text-anchor="middle">${l}</text>`).join('\n')}
<text x="${w / 2}" y="${h - 10}" text-anchor="middle">hidden-state index (0 = embeddings, last = after ln_f)</text>
<text x="16" y="${h / 2}" text-anchor="middle" transform="rotate(-90 16 ${h / 2})">test accuracy</text>
<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="2.5"/>
${results.map((r) => `<circle cx="${x(r.layer)}" cy="${y(r.accuracy)}" r="4" fill="#1f6feb"/><text x="${x(r.layer)}" y="${y(r.accuracy) - 10}" text-anchor="middle">${(r.accuracy * 100).toFixed(1)}</text>`).join('\n')}
</svg>`;
  return new Uint8Array(await sharp(Buffer.from(svg)).png().toBuffer());
}
