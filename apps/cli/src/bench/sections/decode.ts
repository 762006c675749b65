import type { ImageGPTRunner } from '@imagegpt/node';
import type { DecodeFigure } from '../bench-results.js';
import { decodeLimitMs } from '../roofline.js';
import { median } from '../timing.js';

/**
 * Times `steps` greedy decode steps of `batch` rows from SOS, and sets each against its bandwidth
 * limit: over the whole run, and as the median step near each of the `near` positions.
 */
export async function timeDecode(
  runner: ImageGPTRunner,
  model: string,
  batch: number,
  steps: number,
  bandwidthGBs: number,
  near: readonly number[],
): Promise<DecodeFigure> {
  const { config, dtype } = runner;
  const V1 = config.vocabSize - 1;
  const decoder = runner.createDecoder(batch);
  const times: number[] = [];
  let tokens = Array.from({ length: batch }, () => [config.sosTokenId]);
  try {
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      const logits = await decoder.next(tokens);
      times.push(performance.now() - t0);
      // Greedy argmax: the cheapest realistic next token.
      tokens = tokens.map((_, b) => {
        let best = 0;
        for (let k = 1; k < V1; k++)
          if ((logits[b * V1 + k] as number) > (logits[b * V1 + best] as number)) best = k;
        return [best];
      });
    }
  } finally {
    decoder.dispose();
  }
  const limitAt = (position: number) => decodeLimitMs(config, dtype, batch, position, bandwidthGBs);
  const total = times.reduce((a, b) => a + b, 0);
  let limitTotal = 0;
  for (let p = 0; p < steps; p++) limitTotal += limitAt(p);
  const msPerStep = total / steps;
  return {
    model,
    dtype,
    batch,
    steps,
    msPerStep,
    msPerToken: msPerStep / batch,
    tokensPerSecond: (steps * batch * 1e3) / total,
    limitMsPerStep: limitTotal / steps,
    ratioToLimit: total / limitTotal,
    near: near
      .filter((p) => p < steps)
      .map((position) => {
        const ms = median(times.slice(Math.max(1, position - 8), Math.min(steps, position + 9)));
        return { position, msPerStep: ms, limitMs: limitAt(position), ratio: ms / limitAt(position) };
      }),
  };
}
