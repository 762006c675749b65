import { type Checkpoint, type ImageGPTConfig, ImageGPTRunner, type NodeBackend } from '@imagegpt/node';
import type { PrefillFigure } from '../bench-results.js';
import { forwardFlops } from '../roofline.js';
import { randomTokens } from '../seeded.js';
import { timeRuns } from '../timing.js';

/**
 * Whole images of random tokens through each prefill path (the fast decoder's first step, the
 * fused and the reference graph): the best of `runs`, as images/s and as a share of the GEMM peak.
 */
export async function timePrefill(
  backend: NodeBackend,
  config: ImageGPTConfig,
  checkpoint: Checkpoint,
  model: string,
  batch: number,
  gemmPeakGFLOPs: number,
  runs: number,
): Promise<PrefillFigure[]> {
  const rows = randomTokens(batch, config.nPositions, config.vocabSize, config.sosTokenId, 7);
  const flops = forwardFlops(config, batch, config.nPositions);
  const out: PrefillFigure[] = [];
  for (const graph of ['fast', 'fused', 'reference'] as const) {
    const runner = await ImageGPTRunner.create({
      backend,
      config,
      checkpoint,
      head: 'causal',
      decoder: graph === 'reference' ? 'reference' : 'fast',
      prefill: graph === 'fused' ? 'fused' : 'reference',
    });
    try {
      // The fused session opens on the first forward: not part of the timing.
      if (graph === 'fused') await runner.forward([[config.sosTokenId]]);
      const best = Math.min(
        ...(await timeRuns(runs, async () => {
          if (graph !== 'fast') return runner.forward(rows);
          const decoder = runner.createDecoder(batch);
          await decoder.next(rows);
          decoder.dispose();
        })),
      );
      const gflops = flops / (best * 1e6);
      out.push({
        model,
        graph,
        batch,
        imagesPerSecond: (batch * 1e3) / best,
        gflops,
        fractionOfGemmPeak: gflops / gemmPeakGFLOPs,
      });
    } finally {
      await runner.dispose();
    }
  }
  return out;
}
