// The Cache API in a real browser: two loads of the embedded model, one download of its files, and
// the cached model generating Node's tokens.
import { firstDiff } from '../harness.mjs';

/** Loads the embedded model twice through a named cache and counts the weight downloads. */
export async function cacheScenario({ page, server, checks, node }) {
  const weightsPath = '/models/igpt-mnist-16/model.safetensors';
  const downloadsBefore = server.requestsFor('GET', weightsPath);
  const cached = await page.evaluate(() => window.igpt.cacheCheck('igpt-browser-test'));
  const downloads = server.requestsFor('GET', weightsPath) - downloadsBefore;
  checks.check(
    'Cache API: two loads of the embedded model download its weights once',
    downloads === 1 && cached.cachedUrls.includes(weightsPath),
    `${downloads} downloads; cached: ${cached.cachedUrls.join(', ')}`,
  );
  checks.check(
    'Cache API: the cached model gives the same greedy tokens, equal to Node',
    cached.sameTokens &&
      JSON.stringify(cached.tokens[0]) === JSON.stringify(node.greedy.sequences[0]?.slice(0, 33)),
    firstDiff(
      cached.tokens,
      node.greedy.sequences.map((r) => r.slice(0, 33)),
    ),
  );
}
