// A hub id in a real browser: fromPretrained('org/name') against the stand-in hub of the test kit
// (its own port, large files redirected to a second one, a token required), resolved to a commit,
// fetched through the Cache API, giving Node's greedy tokens; the second load downloads nothing.
import { join } from 'node:path';
import { startHubServer } from '@imagegpt/test-kit/hub-server';
import { firstDiff } from '../harness.mjs';

/** Loads the embedded model as a hub id, twice, and checks the requests the stand-in hub saw. */
export async function hubScenario({ page, checks, node }, modelDir) {
  const files = Object.fromEntries(
    ['config.json', 'preprocessor_config.json', 'generation_config.json', 'model.safetensors'].map((f) => [
      f,
      join(modelDir, f),
    ]),
  );
  const hub = await startHubServer({ repos: { 'org/mnist': { files, token: 'hf_browser' } } });
  try {
    const result = await page.evaluate(
      ([endpoint]) => window.igpt.hubCheck(endpoint, 'org/mnist', 'hf_browser'),
      [hub.endpoint],
    );
    const commit = hub.commitOf('org/mnist');
    const weights = hub.requestsFor(`/blobs/${hub.sha256Of('org/mnist', 'model.safetensors')}`, 'GET');
    checks.check(
      'hub id: fromPretrained("org/mnist") in Chromium resolves to its commit and gives Node’s greedy tokens',
      result.error === undefined &&
        result.sameTokens &&
        JSON.stringify(result.tokens[0]) === JSON.stringify(node.greedy.sequences[0]?.slice(0, 33)) &&
        result.cachedUrls.includes(`${hub.endpoint}/org/mnist/resolve/${commit}/model.safetensors`),
      result.error ??
        firstDiff(
          result.tokens,
          node.greedy.sequences.map((r) => r.slice(0, 33)),
        ),
    );
    checks.check(
      'hub id: two loads download the weights once (Cache API), and the token never reaches the large-file host',
      weights.length === 1 && weights.every((r) => r.authorization === undefined),
      `${weights.length} weight downloads; authorization at the large-file host: ${weights.map((r) => r.authorization ?? 'none').join(', ')}`,
    );
  } finally {
    await hub.close();
  }
}
