import {
  type FeaturesFileSpec,
  featuresFileChunks,
  featuresShard,
  featuresTasks,
  planShards,
  readFeaturesShard,
} from '@imagegpt/queue';
import { Command, Option } from 'commander';
import { CliError } from '../cli-error.js';
import { type GlobalOptions, type Io, report } from '../context.js';
import { datasetLabels, listDataset } from '../dataset.js';
import type { HubModelFlag } from '../hub-model.js';
import { common, int, modelOption } from '../main.js';
import { progressBar } from '../progress.js';
import { type QueueFlags, queueFlags, removeShardFiles, runOnQueue, shardDir } from '../queue-flags.js';
import { checkOutputs, loadCausal, modelIdentity, modelRef, readModelConfig, writeOutput } from './shared.js';

interface FeaturesFlags extends GlobalOptions, QueueFlags {
  model?: string;
  /** Set when --model was a hub id (see resolveModelFlag). */
  hubModel?: HubModelFlag;
  layer?: number;
  out?: string;
  force?: boolean;
}

/** `igpt features`: mean-pooled hidden states of one layer. */
export function featuresCommand(io: Io): Command {
  return queueFlags(
    common(new Command('features'))
      .description(
        'mean-pooled features of a hidden layer (HF indexing: 0 = embeddings, n_layer = after ln_f)',
      )
      .argument(
        '<inputs...>',
        'image files, folders (recursive; a first-level sub-folder names the label) or .txt manifests (path[TAB label] per line)',
      )
      .addOption(modelOption())
      .addOption(
        new Option('--layer <l>', 'hidden-state index (default: n_layer)').argParser(int('--layer', 0)),
      )
      .option(
        '--out <file>',
        'write a safetensors file: `features` [N, n_embd], and `labels` [N] (-1: none) when labels are known',
      )
      .option('--force', 'overwrite an existing output file'),
  )
    .addHelpText(
      'after',
      `
Images are fed as the processor's ids without SOS, like HF's classifier. A folder's images are
sorted bytewise by their path inside it. Each row depends on its image alone, so --shard-size and
--queue never change the output: the same inputs give the same bytes.

Examples:
  $ igpt features digit.png --layer 2 --json
  $ igpt features train/ --layer 3 --out feats.safetensors
  $ igpt features list.txt --out feats.safetensors --queue redis://localhost:6379`,
    )
    .action(async (inputs: string[], flags: FeaturesFlags) => {
      checkOutputs([flags.out], flags.force);
      if (flags.queue !== undefined && flags.out === undefined)
        throw new CliError('--queue needs --out: workers write shards that are merged into that file');
      // The config alone settles --layer, before the images and the weights are read.
      const { nLayer, nEmbd } = await readModelConfig(flags.model, 'causal');
      const layer = flags.layer ?? nLayer;
      if (layer > nLayer)
        throw new CliError(`--layer must be between 0 and ${nLayer} for this model, got ${layer}`);
      const entries = await listDataset(inputs);
      const labels = datasetLabels(entries);
      const sources = entries.map((e) => e.source);
      const spec: FeaturesFileSpec = {
        layer,
        dim: nEmbd,
        images: entries.map((e) => e.name),
        ...(labels ? { labels } : {}),
      };

      if (flags.out !== undefined && flags.queue !== undefined) {
        const ref = modelRef(flags.model, flags.hubModel);
        const tasks = featuresTasks({
          model: ref,
          modelIdentity: await modelIdentity(ref),
          shardSize: flags.shardSize,
          dir: shardDir(flags, flags.out),
          layer,
          images: sources,
        });
        await runOnQueue(io, flags, tasks);
        async function* merged() {
          for (const task of tasks)
            yield await readFeaturesShard(task.data.out, { job: task.id, rows: task.rows, dim: nEmbd });
        }
        const out = await writeOutput(flags.out, featuresFileChunks(spec, merged()), flags.force);
        await removeShardFiles(tasks);
        report(io, flags, { out, layer, shape: [entries.length, nEmbd], shards: tasks.length }, () => [
          `wrote ${out} (features [${entries.length}, ${nEmbd}], layer ${layer}, ${tasks.length} shards)`,
        ]);
        return;
      }

      const model = await loadCausal(flags, 'batch');
      try {
        const shards = planShards(sources.length, flags.shardSize);
        const bar = progressBar(io, !flags.json && flags.out !== undefined, 'features', sources.length);
        // The same per-shard function the queue workers run, one shard after another.
        async function* computed() {
          for (const { start, end } of shards) {
            yield await featuresShard(model, { layer, images: sources.slice(start, end) });
            bar.update(end);
          }
        }
        if (flags.out !== undefined) {
          let out: string;
          try {
            out = await writeOutput(flags.out, featuresFileChunks(spec, computed()), flags.force);
          } finally {
            bar.stop();
          }
          report(io, flags, { out, layer, shape: [entries.length, nEmbd] }, () => [
            `wrote ${out} (features [${entries.length}, ${nEmbd}], layer ${layer})`,
          ]);
          return;
        }
        const rows: { image: string; label?: string; layer: number; features: number[] }[] = [];
        for await (const block of computed()) {
          for (let i = 0; i < block.length / nEmbd; i++) {
            const entry = entries[rows.length]!;
            rows.push({
              image: entry.name,
              ...(entry.label === undefined ? {} : { label: entry.label }),
              layer,
              features: Array.from(block.subarray(i * nEmbd, (i + 1) * nEmbd)),
            });
          }
        }
        report(io, flags, rows, () =>
          rows.map((r) => `${r.image}: [${r.features.map((v) => v.toFixed(4)).join(', ')}]`),
        );
      } finally {
        await model.dispose();
      }
    });
}
