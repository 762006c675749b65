import { readRegularFile } from '@imagegpt/node';
import { Command } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, modelOption } from '../main.js';
import { progressBar } from '../progress.js';
import { listImages, loadCausal, readImages, readModelConfig } from './shared.js';

interface EvalFlags extends GlobalOptions {
  model?: string;
  tokens?: string;
}

/** `igpt eval`: mean negative log-likelihood of images or token files. */
export function evalCommand(io: Io): Command {
  return common(new Command('eval'))
    .description('mean NLL per pixel token of a folder of images (or a --tokens file), in nats and bits')
    .argument('[dir]', 'folder of images (searched recursively)')
    .addOption(modelOption())
    .option('--tokens <file>', 'a JSON file from `igpt generate --save-tokens` (or { tokens: number[][] })')
    .addHelpText(
      'after',
      `
The input is [SOS] + pixels[0:HW-1] and all HW pixel tokens are scored, as the model card does.
Each row of a --tokens file is one whole image: exactly HW (n_positions) pixel ids, no SOS.

Examples:
  $ igpt eval ./mnist/test
  $ igpt eval --tokens samples.json`,
    )
    .action(async (dir: string | undefined, flags: EvalFlags) => {
      if ((dir === undefined) === (flags.tokens === undefined))
        throw new CliError('give either a folder of images or --tokens FILE');
      let ids: number[][] = [];
      let source: string;
      // Check the input before paying for a model load.
      const files = dir === undefined ? [] : await listImages(dir);
      if (dir !== undefined && files.length === 0) throw new CliError(`${dir}: no images found`);
      if (flags.tokens !== undefined) {
        const config = await readModelConfig(flags.model, 'causal');
        ids = await readTokens(flags.tokens, config.nPositions, config.vocabSize - 2);
      }
      const model = await loadCausal(flags, 'batch');
      try {
        if (flags.tokens !== undefined) source = flags.tokens;
        else {
          source = dir!;
          const processor = model.processor;
          if (!processor) throw new CliError('the model folder has no preprocessor_config.json');
          ids = processor.encode(await readImages(files)).map((a) => Array.from(a));
        }
        const bar = progressBar(io, !flags.json, 'eval', ids.length);
        let result: Awaited<ReturnType<typeof model.nll>>;
        try {
          result = await model.nll(ids, { onProgress: (e) => bar.update(e.done) });
        } finally {
          bar.stop();
        }
        const summary = { natsPerToken: result.nats, bitsPerToken: result.bits, tokens: result.tokens };
        report(io, flags, { source, images: ids.length, ...summary }, () => [
          `${source}: ${ids.length} images, ${summary.natsPerToken.toFixed(4)} nats/token, ${summary.bitsPerToken.toFixed(4)} bits/token`,
        ]);
      } finally {
        await model.dispose();
      }
    });
}

/**
 * Reads a tokens file (`generate --save-tokens`, or a bare number[][]): a non-empty list of rows,
 * each exactly `length` pixel ids in 0..`top` (no SOS), since eval scores whole images.
 */
async function readTokens(file: string, length: number, top: number): Promise<number[][]> {
  let parsed: unknown;
  try {
    // A regular file only: a FIFO or a device named as --tokens is refused, not waited on.
    parsed = JSON.parse(new TextDecoder().decode(await readRegularFile(file)));
  } catch (e) {
    throw new CliError(`${file}: not a readable JSON tokens file (${(e as Error).message.split('\n')[0]})`);
  }
  const tokens = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens)) throw new CliError(`${file}: expected { "tokens": number[][] } of pixel ids`);
  if (tokens.length === 0) throw new CliError(`${file}: "tokens" is empty; expected at least one image`);
  tokens.forEach((row: unknown, i) => {
    if (!Array.isArray(row)) throw new CliError(`${file}: tokens[${i}] is not a list of pixel ids`);
    if (row.length !== length)
      throw new CliError(
        `${file}: tokens[${i}] has ${row.length} ids, expected ${length} (one whole image of pixel ids, no SOS)`,
      );
    const j = row.findIndex((v) => !Number.isInteger(v) || v < 0 || v > top);
    if (j >= 0)
      throw new CliError(
        `${file}: tokens[${i}][${j}] is ${JSON.stringify(row[j])}, expected a pixel id in 0..${top}`,
      );
  });
  return tokens as number[][];
}
