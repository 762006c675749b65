import { writeSafetensors } from '@imagegpt/node';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, int, modelOption } from '../main.js';
import { checkOutputs, loadCausal, readImages, readModelConfig, writeOutput } from './shared.js';

interface FeaturesFlags extends GlobalOptions {
  model?: string;
  layer?: number;
  out?: string;
  force?: boolean;
}

/** `igpt features`: mean-pooled hidden states of one layer. */
export function featuresCommand(io: Io): Command {
  return common(new Command('features'))
    .description('mean-pooled features of a hidden layer (HF indexing: 0 = embeddings, n_layer = after ln_f)')
    .argument('<images...>', 'image files')
    .addOption(modelOption())
    .addOption(
      new Option('--layer <l>', 'hidden-state index (default: n_layer)').argParser(int('--layer', 0)),
    )
    .option('--out <file>', 'write a safetensors file with a `features` tensor [N, n_embd]')
    .option('--force', 'overwrite an existing output file')
    .addHelpText(
      'after',
      `
Images are fed as the processor's ids without SOS, like HF's classifier.

Examples:
  $ igpt features digit.png --layer 2 --json
  $ igpt features train/*.png --out feats.safetensors`,
    )
    .action(async (paths: string[], flags: FeaturesFlags) => {
      checkOutputs([flags.out], flags.force);
      // The config alone settles --layer, before the images and the weights are read.
      const { nLayer } = readModelConfig(flags.model, 'causal');
      const layer = flags.layer ?? nLayer;
      if (layer > nLayer)
        throw new CliError(`--layer must be between 0 and ${nLayer} for this model, got ${layer}`);
      const images = await readImages(paths);
      const model = await loadCausal(flags, 'batch');
      try {
        const features = await model.features(images, { layer, pooling: 'mean' });
        const dim = features[0]?.length ?? 0;
        if (flags.out) {
          const data = new Float32Array(features.length * dim);
          features.forEach((f, i) => {
            data.set(f, i * dim);
          });
          const out = await writeOutput(
            flags.out,
            writeSafetensors([{ name: 'features', dtype: 'F32', shape: [features.length, dim], data }], {
              layer: String(layer),
              images: JSON.stringify(paths),
            }),
            flags.force,
          );
          report(io, flags, { out, layer, shape: [features.length, dim] }, () => [
            `wrote ${out} (features [${features.length}, ${dim}], layer ${layer})`,
          ]);
          return;
        }
        const rows = features.map((f, i) => ({ image: paths[i]!, layer, features: Array.from(f) }));
        report(io, flags, rows, () =>
          rows.map((r) => `${r.image}: [${r.features.map((v) => v.toFixed(4)).join(', ')}]`),
        );
      } finally {
        await model.dispose();
      }
    });
}
