import { join, resolve } from 'node:path';
import { createRng } from '@imagegpt/core/generation';
import {
  CONFIG_FILE,
  ImageGPTForImageClassification,
  PREPROCESSOR_CONFIG_FILE,
  readImage,
  WEIGHT_FILES,
} from '@imagegpt/node';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { common, int, modelOption, num } from '../main.js';
import { progressBar } from '../progress.js';
import { checkOutputs, listLabelled, modelDir, resolveSeed } from './shared.js';

interface TrainHeadFlags extends GlobalOptions {
  model?: string;
  train: string;
  test?: string;
  holdout?: number;
  seed?: number;
  limit?: number;
  l2?: number;
  out: string;
}

type Labelled = { path: string; label: number }[];

/** `igpt train-head`: HF's classifier head on a causal checkpoint, fitted to an image-folder dataset. */
export function trainHeadCommand(io: Io): Command {
  return common(new Command('train-head'))
    .description(
      "fit an ImageGPTForImageClassification head (HF's bias-free score on mean-pooled features) to labelled image folders",
    )
    .requiredOption('--train <dir>', 'training images, DIR/<label>/*.png (one sub-folder per label)')
    .option('--test <dir>', 'held-out images in the same layout')
    .addOption(
      new Option(
        '--holdout <share>',
        'hold out this share of each label of --train instead of --test',
      ).argParser(num('--holdout', 1e-9, 1 - 1e-9)),
    )
    .addOption(
      new Option(
        '--seed <seed>',
        'seed of the held-out split and of the new head (default: random, printed)',
      ).argParser(int('--seed', 0)),
    )
    .addOption(modelOption())
    .addOption(
      new Option('--limit <n>', 'use at most n images per label from each folder').argParser(int('--limit')),
    )
    .addOption(
      new Option('--l2 <lambda>', 'L2 regularisation, >= 0 (default 1/n)').argParser(
        num('--l2', 0, Number.POSITIVE_INFINITY),
      ),
    )
    .requiredOption(
      '--out <dir>',
      'the classifier folder to write (config.json, model.safetensors, preprocessor_config.json)',
    )
    .option('--force', 'overwrite the files of an existing output folder')
    .addHelpText(
      'after',
      `
Labels are the sub-folder names, sorted (numeric names as numbers): they become id2label. The
transformer stays as it is; only the head is fitted. Use the result with igpt classify --model OUT.
Write the MNIST digits in that layout with: node apps/cli/scripts/mnist-folders.mjs OUT_DIR

Examples:
  $ igpt train-head --train mnist/train --test mnist/test --out my-classifier
  $ igpt train-head --train photos --holdout 0.1 --seed 1 --model igpt-small --out photo-head --json`,
    )
    .action(async (flags: TrainHeadFlags) => {
      if (flags.test !== undefined && flags.holdout !== undefined)
        throw new CliError('give --test or --holdout, not both');
      const out = resolve(flags.out);
      checkOutputs(
        [CONFIG_FILE, WEIGHT_FILES.safetensors.single, PREPROCESSOR_CONFIG_FILE].map((f) => join(out, f)),
        flags.force,
      );
      const causal = modelDir(flags.model, 'causal');
      const seed = resolveSeed(flags.seed);
      const train = await listLabelled(flags.train);
      const limit = (files: Labelled) => limitPerLabel(files, flags.limit);
      let trainFiles = limit(train.files);
      let heldOut: Labelled = [];
      if (flags.test !== undefined) {
        const test = await listLabelled(flags.test);
        if (test.labels.join('\0') !== train.labels.join('\0')) {
          throw new CliError(
            `--train labels (${train.labels.join(', ')}) differ from --test labels (${test.labels.join(', ')})`,
          );
        }
        heldOut = limit(test.files);
      } else if (flags.holdout !== undefined) {
        ({ train: trainFiles, heldOut } = splitHoldout(trainFiles, train.labels.length, flags.holdout, seed));
      }

      const model = await ImageGPTForImageClassification.fromPretrained(causal, {
        threads: flags.threads,
        id2label: train.labels,
        seed,
        // Whole unpadded images only: the fused whole-sequence graph computes their features fastest.
        prefill: 'fused',
        onWarning: (message) => io.err(message),
      });
      try {
        const bar = progressBar(io, !flags.json, 'train-head', trainFiles.length);
        let fit: Awaited<ReturnType<ImageGPTForImageClassification['trainHead']>>;
        try {
          const images = await Promise.all(trainFiles.map((f) => readImage(f.path)));
          fit = await model.trainHead(
            images,
            trainFiles.map((f) => f.label),
            {
              ...(flags.l2 === undefined ? {} : { l2: flags.l2 }),
              onProgress: (e) => {
                if (e.stage === 'features') bar.update(e.done);
              },
            },
          );
        } finally {
          bar.stop();
        }
        let heldOutAccuracy: number | undefined;
        if (heldOut.length > 0) {
          const predictions = await model.classify(await Promise.all(heldOut.map((f) => readImage(f.path))));
          heldOutAccuracy =
            predictions.filter((p, i) => p.index === heldOut[i]!.label).length / heldOut.length;
        }
        const files = await model.savePretrained(out, { force: flags.force === true });
        const source =
          flags.test !== undefined ? 'test' : flags.holdout !== undefined ? 'holdout' : undefined;
        report(
          io,
          flags,
          {
            out,
            files,
            labels: train.labels,
            seed,
            train: { images: trainFiles.length, accuracy: fit.trainAccuracy },
            heldOut:
              heldOutAccuracy === undefined
                ? null
                : { images: heldOut.length, accuracy: heldOutAccuracy, source },
            fit: { iterations: fit.iterations, loss: fit.loss, converged: fit.converged },
          },
          () => [
            `labels: ${train.labels.join(', ')}`,
            `train accuracy ${percent(fit.trainAccuracy)} (${trainFiles.length} images)`,
            heldOutAccuracy === undefined
              ? 'held-out accuracy: none (give --test DIR or --holdout SHARE)'
              : `held-out accuracy ${percent(heldOutAccuracy)} (${heldOut.length} images${
                  source === 'holdout' ? `, --holdout ${flags.holdout}` : ''
                })`,
            `seed ${seed}`,
            `wrote ${out} (${files.join(', ')}); use it with: igpt classify --model ${flags.out} IMAGE...`,
          ],
        );
      } finally {
        await model.dispose();
      }
    });
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** At most `limit` images of each label, in folder order. */
function limitPerLabel(files: Labelled, limit: number | undefined): Labelled {
  if (limit === undefined) return files;
  const seen = new Map<number, number>();
  return files.filter((f) => {
    const n = seen.get(f.label) ?? 0;
    seen.set(f.label, n + 1);
    return n < limit;
  });
}

/**
 * Holds out `share` of each label's images, chosen by a seeded shuffle (Fisher–Yates over core's
 * portable generator), so the split is the same on every machine; each label keeps at least one
 * training image and, when it has two, gives at least one to the held-out set.
 */
function splitHoldout(
  files: Labelled,
  labels: number,
  share: number,
  seed: number,
): { train: Labelled; heldOut: Labelled } {
  const rng = createRng(seed, 1);
  const train: Labelled = [];
  const heldOut: Labelled = [];
  for (let label = 0; label < labels; label++) {
    const mine = files.filter((f) => f.label === label);
    for (let i = mine.length - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1));
      [mine[i], mine[j]] = [mine[j]!, mine[i]!];
    }
    const count =
      mine.length < 2 ? 0 : Math.min(mine.length - 1, Math.max(1, Math.round(share * mine.length)));
    heldOut.push(...mine.slice(0, count));
    train.push(...mine.slice(count));
  }
  // Folder order within each set, so the output does not depend on the shuffle beyond the split.
  const order = new Map(files.map((f, i) => [f, i]));
  const byOrder = (a: Labelled[number], b: Labelled[number]) => order.get(a)! - order.get(b)!;
  return { train: train.sort(byOrder), heldOut: heldOut.sort(byOrder) };
}
