// Node's side of the token comparisons: the same generations through @imagegpt/node (its build),
// which every Chromium scenario must reproduce token for token.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The seed of the sampled generations, in Node, on the test page and in the docs demo. */
export const SEED = 1234;

/**
 * Loads @imagegpt/node's build and runs the reference generations on the embedded model:
 * greedy (1 thread), sampled with {@link SEED} (1 thread), and a timing on all cores.
 */
export async function nodeReference(root, modelDir) {
  const node = await import(pathToFileURL(join(root, 'packages', 'node', 'dist', 'index.js')).href);
  async function generate(options, threads) {
    const model = await node.ImageGPTForCausalImageModeling.fromPretrained(modelDir, { threads });
    try {
      await model.generate({ doSample: true, seed: 1, maxLength: 1 + 16 }); // warm-up, as in the browser
      const started = performance.now();
      const { sequences } = await model.generate(options);
      const ms = performance.now() - started;
      return { sequences, msPerToken: ms / (16 * 16) };
    } finally {
      await model.dispose();
    }
  }
  const greedy = await generate({ doSample: false, numReturnSequences: 1 }, 1);
  const sampled = await generate({ doSample: true, seed: SEED, numReturnSequences: 2 }, 1);
  const timing = {
    threads1: greedy.msPerToken,
    threadsAll: (await generate({ doSample: false }, undefined)).msPerToken,
  };
  return { generate, greedy, sampled, timing };
}
