import { encodePng, type RawImage } from '@imagegpt/node';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { makeGrid, partialImage } from '../grid.js';
import { common, int, modelOption, num, sampling, scaleOption } from '../main.js';
import { progressBar } from '../progress.js';
import {
  checkOutputs,
  loadCausal,
  readImages,
  readModelConfig,
  resolveSeed,
  samplingSettings,
  seconds,
  writeOutput,
} from './shared.js';

interface CompleteFlags extends GlobalOptions {
  model?: string;
  rows?: number;
  fraction?: number;
  n: number;
  seed?: number;
  temperature: number;
  topK?: number;
  topP?: number;
  out: string;
  scale: number;
  force?: boolean;
}

/** `igpt complete`: keep the top rows of each image and sample the rest. */
export function completeCommand(io: Io): Command {
  return sampling(common(new Command('complete')))
    .description('keep the top rows of each image and let the model draw the rest')
    .argument('<images...>', 'image files (PNG, JPEG, WebP)')
    .addOption(modelOption())
    .addOption(
      new Option('--rows <k>', 'rows of the image to keep (0: draw whole images)')
        .argParser(int('--rows', 0))
        .conflicts('fraction'),
    )
    .addOption(
      new Option('--fraction <f>', 'fraction of rows to keep, in [0, 1) (default 0.5)').argParser(
        num('--fraction', 0, 1),
      ),
    )
    .addOption(new Option('--n <count>', 'completions per image').default(4).argParser(int('--n')))
    .option('--out <file>', 'output PNG grid', 'completed.png')
    .addOption(scaleOption())
    .option('--force', 'overwrite existing output files')
    .addHelpText(
      'after',
      `
Each grid row shows the quantized original, the kept part, then the completions. One seed drives
the whole run: completion j of image i draws from random stream i * n + j of the seed.

Examples:
  $ igpt complete digit.png --fraction 0.5 --n 4 --seed 7
  $ igpt complete a.png b.png --rows 6 --out halves.png`,
    )
    .action(async (paths: string[], flags: CompleteFlags, cmd: Command) => {
      const spec = await samplingSettings(cmd, flags, flags.model);
      checkOutputs([flags.out], flags.force);
      if (flags.fraction !== undefined && flags.fraction >= 1) {
        throw new CliError(
          `--fraction must be in [0, 1) (at least one row is generated), got ${flags.fraction}`,
        );
      }
      const checkRows = (height: number) => {
        const rows = flags.rows ?? Math.floor((flags.fraction ?? 0.5) * height);
        if (rows < 0 || rows >= height)
          throw new CliError(
            `--rows must be between 0 and ${height - 1} for ${height}-row images, got ${rows}`,
          );
        return rows;
      };
      // The config's square side settles --rows before the images and the weights are read.
      const side = (await readModelConfig(flags.model, 'causal')).imageSide;
      if (side !== undefined) checkRows(side);
      const seed = resolveSeed(flags.seed);
      const started = performance.now();
      const images = await readImages(paths);
      const model = await loadCausal(flags);
      try {
        const processor = model.processor;
        if (!processor) throw new CliError('the model folder has no preprocessor_config.json');
        const { width, height } = processor.size;
        const rows = checkRows(height);
        const kept = rows * width;
        const bar = progressBar(
          io,
          !flags.json,
          'complete',
          images.length * flags.n * (height * width - kept),
        );
        const cells: RawImage[] = [];
        const results: { image: string; kept: number[]; completions: number[][] }[] = [];
        try {
          for (const [i, image] of images.entries()) {
            const ids = Array.from(processor.encode(image)[0]!);
            const prefix = ids.slice(0, kept);
            const result = await model.generate({
              prompt: [[model.config.sosTokenId, ...prefix]],
              numReturnSequences: flags.n,
              doSample: !spec.greedy,
              temperature: spec.temperature,
              topK: spec.topK,
              topP: spec.topP,
              seed,
              // One seed for the run: completion j of image i is stream i * n + j.
              firstStream: i * flags.n,
              onToken: (e) =>
                bar.update((i * flags.n + 0) * (height * width - kept) + (e.step + 1) * flags.n),
            });
            const completions = result.sequences.map((s) => s.slice(1));
            for (const c of completions) {
              for (let j = 0; j < kept; j++) {
                if (c[j] !== prefix[j]) throw new Error(`internal: completion changed kept pixel ${j}`);
              }
            }
            const original = processor.decode(ids, { width, height });
            const keptImage = partialImage((ids, size) => processor.decode(ids, size), prefix, width, height);
            cells.push(
              original,
              keptImage,
              ...completions.map((c) => processor.decode(c, { width, height })),
            );
            results.push({ image: paths[i]!, kept: prefix, completions });
          }
        } finally {
          bar.stop();
        }
        const grid = makeGrid(cells, { columns: flags.n + 2 });
        const out = await writeOutput(flags.out, await encodePng(grid, { scale: flags.scale }), flags.force);
        const ms = performance.now() - started;
        report(io, flags, { out, seed, rows, n: flags.n, ms: Math.round(ms), results }, () => [
          `wrote ${out} (${images.length} image(s) x ${flags.n} completions, ${rows} rows kept, seed ${seed}) in ${seconds(ms)}`,
        ]);
      } finally {
        await model.dispose();
      }
    });
}
