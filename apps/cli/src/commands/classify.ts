import { Command, Option } from 'commander';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, int, modelOption } from '../main.js';
import { loadClassifier, readImages } from './shared.js';

interface ClassifyFlags extends GlobalOptions {
  model?: string;
  top: number;
}

/** `igpt classify`: labels and scores from a classification checkpoint. */
export function classifyCommand(io: Io): Command {
  return common(new Command('classify'))
    .description('classify images with an ImageGPTForImageClassification checkpoint')
    .argument('<images...>', 'image files (PNG, JPEG, WebP)')
    .addOption(modelOption('classifier folder or hub id org/name (default: the embedded MNIST classifier)'))
    .addOption(new Option('--top <k>', 'labels to show per image').default(3).argParser(int('--top')))
    .addHelpText(
      'after',
      `
Examples:
  $ igpt classify digit.png
  $ igpt classify *.png --json --top 1`,
    )
    .action(async (paths: string[], flags: ClassifyFlags) => {
      const images = await readImages(paths);
      const model = await loadClassifier(flags);
      try {
        const predictions = await model.classify(images);
        const rows = predictions.map((p, i) => ({
          image: paths[i]!,
          label: p.label,
          score: p.score,
          top: [...p.scores].sort((a, b) => b.score - a.score).slice(0, flags.top),
        }));
        report(io, flags, rows, () =>
          rows.map(
            (r) =>
              `${r.image}: ${r.label} (${(r.score * 100).toFixed(1)}%)  ${r.top.map((t) => `${t.label} ${(t.score * 100).toFixed(1)}%`).join(', ')}`,
          ),
        );
      } finally {
        await model.dispose();
      }
    });
}
