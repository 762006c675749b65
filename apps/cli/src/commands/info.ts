import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageGPTConfig } from '@imagegpt/node';
import { Command } from 'commander';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, modelOption } from '../main.js';
import { modelDir } from './shared.js';

/** `igpt info`: config, parameter count and files of a model folder. */
export function infoCommand(io: Io): Command {
  return common(new Command('info'))
    .description('show the config, parameter count and files of a model folder')
    .addOption(modelOption())
    .addHelpText('after', '\nExamples:\n  $ igpt info\n  $ igpt info --model ./igpt-small --json')
    .action(async (flags: GlobalOptions & { model?: string }) => {
      const dir = modelDir(flags.model, 'causal');
      const config = ImageGPTConfig.parse(
        readFileSync(join(dir, 'config.json'), 'utf8'),
        join(dir, 'config.json'),
      );
      const head = config.architectures?.includes('ImageGPTForImageClassification') ? 'classifier' : 'causal';
      const files = await Promise.all(
        (await readdir(dir))
          .sort()
          .map(async (name) => ({ name, bytes: (await stat(join(dir, name))).size })),
      );
      const summary = {
        dir,
        architecture: config.architectures?.[0] ?? 'ImageGPTForCausalImageModeling',
        parameters: config.parameterCount(head),
        image: config.imageSide ? `${config.imageSide}x${config.imageSide}` : null,
        config: config.toJSON(),
        files,
      };
      report(io, flags, summary, () => [
        `${dir}`,
        `  ${summary.architecture}: ${config.nLayer} layers x ${config.nEmbd} wide x ${config.nHead} heads, vocab ${config.vocabSize}, ${config.nPositions} positions${summary.image ? ` (${summary.image} images)` : ''}`,
        `  parameters: ${summary.parameters.toLocaleString('en-US')}`,
        `  activation ${config.activationFunction}, layer_norm_epsilon ${config.layerNormEpsilon}, n_inner ${config.innerSize}`,
        ...(head === 'classifier' ? [`  labels: ${Object.values(config.id2label).join(', ')}`] : []),
        '  files:',
        ...files.map((f) => `    ${f.name.padEnd(28)} ${f.bytes.toLocaleString('en-US').padStart(14)} B`),
      ]);
    });
}
