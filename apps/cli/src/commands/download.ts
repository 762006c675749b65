import { hubCacheDir } from '@imagegpt/node';
import { Command } from 'commander';
import { type GlobalOptions, type Io, report } from '../context.js';
import { fetchHubModel } from '../hub-model.js';
import { common, revisionOption } from '../main.js';

/** `igpt download`: a hub model into the hub cache (Python's layout), printing its snapshot folder. */
export function downloadCommand(io: Io): Command {
  return common(new Command('download'))
    .description('fetch a model from the Hugging Face hub into the hub cache and print its snapshot folder')
    .argument('<id>', 'hub repo id, e.g. openai/imagegpt-small')
    .addOption(revisionOption())
    .addHelpText(
      'after',
      `
Only config.json, preprocessor_config.json, generation_config.json and the PyTorch weights
(model.safetensors, or pytorch_model.bin, sharded or not) are fetched. The cache is the one
Python's huggingface_hub uses: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub.
HF_ENDPOINT picks another hub; HF_TOKEN (or the token file) is sent for private or gated repos;
HF_HUB_OFFLINE=1 answers from the cache alone.

Examples:
  $ igpt download openai/imagegpt-small
  $ igpt download openai/imagegpt-small --revision main --json`,
    )
    .action(async (id: string, flags: GlobalOptions & { revision?: string }) => {
      const snapshot = await fetchHubModel(io, id, {
        ...(flags.revision === undefined ? {} : { revision: flags.revision }),
        json: flags.json === true,
      });
      const { repo, revision, commit, folder, files } = snapshot;
      report(io, flags, { repo, revision, commit, folder, files }, () => [
        folder,
        `  ${repo}@${revision} = commit ${commit}; ${files.length} files; ${
          snapshot.downloadedBytes > 0
            ? `${snapshot.downloadedBytes.toLocaleString('en-US')} bytes downloaded`
            : 'all from the cache'
        } (${hubCacheDir()})`,
      ]);
    });
}
