import {
  ImageGPTImageProcessor,
  learnPalette,
  normalize,
  PALETTE_DEFAULTS,
  paletteToPreprocessorConfig,
  resizeBilinear,
  toRGB,
} from '@imagegpt/node';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, int } from '../main.js';
import { progressBar } from '../progress.js';
import { checkOutputs, listImages, readImages, seconds, writeOutput } from './shared.js';

interface PaletteFlags extends GlobalOptions {
  k: number;
  size: number;
  seed: number;
  out: string;
  batchSize?: number;
  maxIterations: number;
  force?: boolean;
}

/** `igpt palette`: learn colour clusters (k-means) from a folder of images. */
export function paletteCommand(io: Io): Command {
  return common(new Command('palette'))
    .description('learn a colour palette (k-means++ then Lloyd) and write a preprocessor_config.json')
    .argument('<dir>', 'folder of images (searched recursively)')
    .addOption(new Option('--k <k>', 'number of colour clusters').default(512).argParser(int('--k', 2)))
    .addOption(
      new Option('--size <s>', 'images are resized to s x s first, as the processor will')
        .default(32)
        .argParser(int('--size')),
    )
    .addOption(new Option('--seed <seed>', 'random seed').default(0).argParser(int('--seed', 0)))
    .addOption(
      new Option('--batch-size <n>', 'mini-batch k-means with this batch size (large inputs)').argParser(
        int('--batch-size'),
      ),
    )
    .addOption(
      new Option(
        '--max-iterations <n>',
        `Lloyd iterations (or mini-batches) at most; lower than learnPalette's default of ${PALETTE_DEFAULTS.maxIterations}`,
      )
        .default(50)
        .argParser(int('--max-iterations')),
    )
    .option('--out <file>', 'output preprocessor_config.json', 'preprocessor_config.json')
    .option('--force', 'overwrite an existing output file')
    .addHelpText(
      'after',
      '\nExamples:\n  $ igpt palette ./photos --k 512 --size 32 --out preprocessor_config.json\n  $ igpt palette ./digits --k 16 --size 16 --seed 1',
    )
    .action(async (dir: string, flags: PaletteFlags) => {
      checkOutputs([flags.out], flags.force);
      const started = performance.now();
      const files = await listImages(dir);
      if (files.length === 0) throw new CliError(`${dir}: no images found`);
      const images = (await readImages(files)).map((im) => resizeBilinear(toRGB(im), flags.size, flags.size));
      const pixels = new Float32Array(images.length * flags.size * flags.size * 3);
      images.forEach((im, i) => {
        pixels.set(normalize(im), i * flags.size * flags.size * 3);
      });
      if (pixels.length / 3 < flags.k)
        throw new CliError(`--k ${flags.k} is more than the ${pixels.length / 3} pixels available`);
      const colours = distinctColours(pixels, flags.k);
      if (colours < flags.k)
        io.err(
          `igpt: warning: ${dir} has only ${colours} distinct colours at --size ${flags.size}, fewer than --k ${flags.k}; the palette repeats colours`,
        );
      const bar = progressBar(io, !flags.json, 'k-means', flags.maxIterations);
      let palette: ReturnType<typeof learnPalette>;
      try {
        palette = learnPalette(pixels, {
          k: flags.k,
          seed: flags.seed,
          maxIterations: flags.maxIterations,
          batchSize: flags.batchSize,
          onProgress: (e) => bar.update(e.iteration),
        });
      } finally {
        bar.stop();
      }
      const json = paletteToPreprocessorConfig(palette, { height: flags.size, width: flags.size });
      // Written as transformers writes it (clusters as Python floats: -1.0, not -1), so it diffs cleanly.
      const text = ImageGPTImageProcessor.fromJSON(json).toJSONString();
      const out = await writeOutput(flags.out, text, flags.force);
      const ms = performance.now() - started;
      report(
        io,
        flags,
        {
          out,
          k: flags.k,
          pixels: pixels.length / 3,
          inertia: palette.inertia,
          iterations: palette.iterations,
          ms: Math.round(ms),
        },
        () => [
          `wrote ${out}: ${flags.k} clusters from ${pixels.length / 3} pixels of ${files.length} images, ${palette.iterations} iterations, inertia ${palette.inertia.toFixed(3)}, ${seconds(ms)}`,
        ],
      );
    });
}

/** Distinct RGB triples among `pixels`, counted up to `limit` (enough to compare with k). */
function distinctColours(pixels: Float32Array, limit: number): number {
  const seen = new Set<string>();
  for (let i = 0; i < pixels.length && seen.size < limit; i += 3)
    seen.add(`${pixels[i]},${pixels[i + 1]},${pixels[i + 2]}`);
  return seen.size;
}
