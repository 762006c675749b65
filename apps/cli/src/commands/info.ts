import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { countImageGPTParameters } from '@imagegpt/core/graph';
import { inspectCheckpoint, loadConfig } from '@imagegpt/node';
import { Command } from 'commander';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, modelOption } from '../main.js';
import { modelFiles } from './shared.js';

/**
 * `igpt info`: config, parameter count, weights and files of a model folder. Every file is read
 * through the library's reading policy, and the weights' headers too (names, dtypes, shapes), so a
 * broken or hostile weights file is reported here as it would be by a load.
 */
export function infoCommand(io: Io): Command {
  return common(new Command('info'))
    .description('show the config, parameter count, weights and files of a model folder')
    .addOption(modelOption())
    .addHelpText('after', '\nExamples:\n  $ igpt info\n  $ igpt info --model ./igpt-small --json')
    .action(async (flags: GlobalOptions & { model?: string }) => {
      const files = modelFiles(flags.model, 'causal');
      const dir = files.location;
      const config = await loadConfig(files);
      const head = config.architectures?.includes('ImageGPTForImageClassification') ? 'classifier' : 'causal';
      const weights = await inspectCheckpoint(files);
      const parameters = config.parameterCount(head);
      const inFile = countImageGPTParameters(weights.tensors);
      const listing = await Promise.all(
        (await readdir(dir)).sort().map(async (name) => ({
          name,
          // stat, not a read: a FIFO or a device in the folder is listed, never opened.
          bytes: (await stat(join(dir, name)).catch(() => undefined))?.size ?? null,
        })),
      );
      const summary = {
        dir,
        architecture: config.architectures?.[0] ?? 'ImageGPTForCausalImageModeling',
        parameters,
        image: config.imageSide ? `${config.imageSide}x${config.imageSide}` : null,
        weights: {
          format: weights.format,
          files: weights.files,
          tensors: weights.tensors.length,
          parameters: inFile,
          agreesWithConfig: inFile === parameters,
        },
        files: listing,
      };
      const agreement =
        inFile === parameters
          ? 'agrees with config.json'
          : `config.json says ${parameters.toLocaleString('en-US')}: the weights do not fit this config`;
      report(
        io,
        flags,
        // The config (unknown keys and all) is built only when it is printed.
        flags.json ? { ...summary, config: config.toJSON() } : summary,
        () => [
          `${dir}`,
          `  ${summary.architecture}: ${config.nLayer} layers x ${config.nEmbd} wide x ${config.nHead} heads, vocab ${config.vocabSize}, ${config.nPositions} positions${summary.image ? ` (${summary.image} images)` : ''}`,
          `  parameters: ${parameters.toLocaleString('en-US')}`,
          `  activation ${config.activationFunction}, layer_norm_epsilon ${config.layerNormEpsilon}, n_inner ${config.innerSize}`,
          ...(head === 'classifier' ? [`  labels: ${Object.values(config.id2label).join(', ')}`] : []),
          `  weights: ${weights.files.join(', ')} (${weights.format}), ${weights.tensors.length} tensors, ${inFile.toLocaleString('en-US')} parameters: ${agreement}`,
          '  files:',
          ...listing.map(
            (f) => `    ${f.name.padEnd(28)} ${(f.bytes?.toLocaleString('en-US') ?? '?').padStart(14)} B`,
          ),
        ],
      );
    });
}
