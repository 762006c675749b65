import { encodePng, type RawImage } from '@imagegpt/node';
import { Command, Option } from 'commander';
import { type GlobalOptions, type Io, report } from '../context.js';
import { makeGrid } from '../grid.js';
import { common, int, modelOption, sampling, scaleOption } from '../main.js';
import { progressBar } from '../progress.js';
import { checkOutputs, loadCausal, modelName, resolveSeed, seconds, writeOutput } from './shared.js';

interface GenerateFlags extends GlobalOptions {
  model?: string;
  n: number;
  seed?: number;
  temperature: number;
  topK?: number;
  topP?: number;
  batch?: number;
  out: string;
  scale: number;
  saveTokens?: string;
  greedy?: boolean;
}

/** `igpt generate`: unconditional samples as a PNG grid. */
export function generateCommand(io: Io): Command {
  return sampling(common(new Command('generate')))
    .description('sample images from a causal ImageGPT model and write them as a PNG grid')
    .addOption(modelOption())
    .addOption(new Option('--n <count>', 'number of images').default(16).argParser(int('--n')))
    .addOption(
      new Option('--batch <b>', 'images generated together (default: min(n, 8))').argParser(int('--batch')),
    )
    .addOption(
      new Option('--greedy', 'argmax decoding instead of sampling').conflicts([
        'temperature',
        'topK',
        'topP',
      ]),
    )
    .option('--out <file>', 'output PNG grid', 'generated.png')
    .addOption(scaleOption())
    .option('--save-tokens <file>', 'also write the generated tokens as JSON')
    .option('--force', 'overwrite existing output files')
    .addHelpText(
      'after',
      `
One seed drives the whole run: image i draws from random stream i of the seed, so the images do
not depend on --batch, and nearby seeds share no image.

Examples:
  $ igpt generate --n 16 --seed 1 --out digits.png
  $ igpt generate --model ./igpt-small --n 4 --top-k 40 --temperature 0.9 --scale 4`,
    )
    .action(async (flags: GenerateFlags) => {
      checkOutputs([flags.out, flags.saveTokens], flags.force);
      const seed = resolveSeed(flags.seed);
      const started = performance.now();
      const model = await loadCausal(flags);
      try {
        const processor = model.processor;
        if (!processor)
          throw new Error('the model folder has no preprocessor_config.json, so tokens cannot become pixels');
        const { width, height } = processor.size;
        const batch = Math.min(flags.batch ?? 8, flags.n);
        const tokensPerImage = model.config.nPositions;
        const bar = progressBar(io, !flags.json, 'generate', flags.n * tokensPerImage);
        const sequences: number[][] = [];
        try {
          for (let done = 0; done < flags.n; ) {
            const count = Math.min(batch, flags.n - done);
            const result = await model.generate({
              doSample: !flags.greedy,
              temperature: flags.temperature,
              topK: flags.topK ?? 0,
              topP: flags.topP,
              seed,
              // Image `done + j` of the run draws from stream `done + j` of the one seed.
              firstStream: done,
              batchSize: count,
              onToken: (e) => bar.update(done * tokensPerImage + (e.step + 1) * count),
            });
            sequences.push(...result.sequences.map((s) => s.slice(1)));
            done += count;
          }
        } finally {
          bar.stop();
        }
        const images: RawImage[] = sequences.map((ids) => processor.decode(ids, { width, height }));
        const grid = makeGrid(images, { columns: Math.ceil(Math.sqrt(images.length)) });
        const out = await writeOutput(flags.out, await encodePng(grid, { scale: flags.scale }), flags.force);
        let tokensFile: string | undefined;
        if (flags.saveTokens) {
          const payload = {
            model: modelName(flags.model),
            greedy: flags.greedy === true,
            seed,
            // Image i drew from random stream i of the seed: the tokens do not depend on `batch`.
            batchIndependent: true,
            batch,
            temperature: flags.greedy ? null : flags.temperature,
            topK: flags.topK ?? null,
            topP: flags.topP ?? null,
            width,
            height,
            tokens: sequences,
          };
          tokensFile = await writeOutput(flags.saveTokens, `${JSON.stringify(payload)}\n`, flags.force);
        }
        const ms = performance.now() - started;
        report(io, flags, { out, tokens: tokensFile ?? null, seed, n: flags.n, ms: Math.round(ms) }, () => [
          `wrote ${out} (${flags.n} images, seed ${seed}) in ${seconds(ms)}`,
          ...(tokensFile ? [`tokens: ${tokensFile}`] : []),
        ]);
      } finally {
        await model.dispose();
      }
    });
}
