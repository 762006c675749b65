import { encodePng, type ImageGPTImageProcessor, type RawImage } from '@imagegpt/node';
import { generateShard, generateTasks, readGenerateShard, type SamplingSpec } from '@imagegpt/queue';
import { Command, Option } from 'commander';
import { type GlobalOptions, type Io, report } from '../context.js';
import { makeGrid } from '../grid.js';
import type { HubModelFlag } from '../hub-model.js';
import { common, int, modelOption, sampling, scaleOption } from '../main.js';
import { writeOutputFolder } from '../out-dir.js';
import { progressBar } from '../progress.js';
import { type QueueFlags, queueFlags, removeShardFiles, runOnQueue, shardDir } from '../queue-flags.js';
import {
  checkOutputs,
  loadCausal,
  modelIdentity,
  modelName,
  modelRef,
  readModelProcessor,
  resolveSeed,
  samplingSettings,
  seconds,
  writeOutput,
} from './shared.js';

interface GenerateFlags extends GlobalOptions, QueueFlags {
  model?: string;
  /** Set when --model was a hub id (see resolveModelFlag). */
  hubModel?: HubModelFlag;
  n: number;
  seed?: number;
  temperature: number;
  topK?: number;
  topP?: number;
  batch?: number;
  out: string;
  outDir?: string;
  scale: number;
  saveTokens?: string;
  greedy?: boolean;
}

/** `igpt generate`: unconditional samples as a PNG grid, or one PNG per image. */
export function generateCommand(io: Io): Command {
  return queueFlags(
    sampling(common(new Command('generate')))
      .description(
        'sample images from a causal ImageGPT model and write them as a PNG grid or a folder of PNGs',
      )
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
      .option('--out <file>', 'output PNG grid (with --out-dir: only when given)', 'generated.png')
      .option(
        '--out-dir <dir>',
        "write one PNG per image (00000.png, …, at the model's size unless --scale is given) and tokens.json into a new folder",
      )
      .addOption(scaleOption())
      .option('--save-tokens <file>', 'also write the generated tokens as JSON')
      .option('--force', 'overwrite existing output files'),
  )
    .addHelpText(
      'after',
      `
One seed drives the whole run: image i draws from random stream i of the seed, so the images do
not depend on --batch, --shard-size or --queue, and nearby seeds share no image.

Examples:
  $ igpt generate --n 16 --seed 1 --out digits.png
  $ igpt generate --model ./igpt-small --n 4 --top-k 40 --temperature 0.9 --scale 4
  $ igpt generate --n 10000 --seed 7 --out-dir samples --queue redis://localhost:6379`,
    )
    .action(async (flags: GenerateFlags, cmd: Command) => {
      // With --out-dir the grid is written only when asked for by name.
      const grid =
        flags.outDir === undefined || cmd.getOptionValueSource('out') === 'cli' ? flags.out : undefined;
      checkOutputs([grid, flags.saveTokens, flags.outDir], flags.force);
      const seed = resolveSeed(flags.seed);
      const started = performance.now();
      const batch = Math.min(flags.batch ?? 8, flags.n);
      const spec: SamplingSpec = await samplingSettings(cmd, flags, flags.model);

      // Read before any sampling: a model that cannot turn tokens into pixels is refused first.
      let processor: ImageGPTImageProcessor;
      let sequences: number[][];
      if (flags.queue !== undefined) {
        // The workers load the weights; this process only turns their tokens into pixels.
        processor = await readModelProcessor(flags.model);
        const ref = modelRef(flags.model, flags.hubModel);
        const output = flags.outDir ?? grid ?? flags.saveTokens!;
        const tasks = generateTasks({
          model: ref,
          modelIdentity: await modelIdentity(ref),
          shardSize: flags.shardSize,
          dir: shardDir(flags, output),
          sampling: spec,
          seed,
          batch,
          n: flags.n,
        });
        if (!flags.json) io.err(`seed ${seed}`);
        await runOnQueue(io, flags, tasks);
        sequences = [];
        for (const task of tasks)
          sequences.push(
            ...(await readGenerateShard(task.data.out, {
              job: task.id,
              first: task.data.first,
              count: task.rows,
            })),
          );
        await writeAll(sequences);
        await removeShardFiles(tasks);
      } else {
        const model = await loadCausal(flags);
        try {
          processor = await readModelProcessor(flags.model);
          const tokensPerImage = model.config.nPositions;
          const bar = progressBar(io, !flags.json, 'generate', flags.n * tokensPerImage);
          try {
            // The same per-shard function the queue workers run, over the whole run at once.
            sequences = await generateShard(
              model,
              { sampling: spec, seed, first: 0, count: flags.n, batch },
              (e) => bar.update(e.rowsDone * tokensPerImage + (e.step + 1) * e.batchRows),
            );
          } finally {
            bar.stop();
          }
        } finally {
          await model.dispose();
        }
        await writeAll(sequences);
      }

      async function writeAll(tokens: number[][]): Promise<void> {
        const { width, height } = processor.size;
        const images: RawImage[] = tokens.map((ids) => processor.decode(ids, { width, height }));
        const payload = `${JSON.stringify({
          model: modelName(flags.model),
          greedy: spec.greedy,
          seed,
          // Image i drew from random stream i of the seed: the tokens do not depend on `batch`.
          batchIndependent: true,
          batch,
          temperature: spec.greedy ? null : spec.temperature,
          topK: spec.greedy || spec.topK === 0 ? null : spec.topK,
          topP: spec.greedy ? null : (spec.topP ?? null),
          width,
          height,
          tokens,
        })}\n`;
        const written: { out: string | null; outDir: string | null; tokens: string | null } = {
          out: null,
          outDir: null,
          tokens: null,
        };
        if (grid !== undefined) {
          const picture = makeGrid(images, { columns: Math.ceil(Math.sqrt(images.length)) });
          written.out = await writeOutput(
            grid,
            await encodePng(picture, { scale: flags.scale }),
            flags.force,
          );
        }
        if (flags.outDir !== undefined) {
          const digits = Math.max(5, String(images.length - 1).length);
          // A folder of images is for tools that read them (FID, datasets): the model's own size.
          const imageScale = cmd.getOptionValueSource('scale') === 'cli' ? flags.scale : 1;
          async function* files() {
            for (const [i, image] of images.entries())
              yield {
                name: `${String(i).padStart(digits, '0')}.png`,
                data: await encodePng(image, { scale: imageScale }),
              };
            yield { name: 'tokens.json', data: payload };
          }
          written.outDir = await writeOutputFolder(flags.outDir, files(), flags.force);
        }
        if (flags.saveTokens) written.tokens = await writeOutput(flags.saveTokens, payload, flags.force);
        const ms = performance.now() - started;
        report(io, flags, { ...written, seed, n: flags.n, ms: Math.round(ms) }, () => [
          `wrote ${[written.out, written.outDir].filter((p) => p !== null).join(' and ')} (${flags.n} images, seed ${seed}) in ${seconds(ms)}`,
          ...(written.tokens ? [`tokens: ${written.tokens}`] : []),
        ]);
      }
    });
}
