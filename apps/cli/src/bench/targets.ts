import type { BenchResults, TargetFigure } from './bench-results.js';

const f = (x: number, digits = 2) => x.toFixed(digits);

/**
 * Issue 13's Node targets, judged from one run's figures (ratios within the run, so a busy machine
 * moves both sides). A target whose figures the run lacks (a quick run, no held-out digits) is left out.
 */
export function nodeTargets(r: Omit<BenchResults, 'targets'>): TargetFigure[] {
  const out: TargetFigure[] = [];
  const push = (
    target: string,
    value: number | undefined,
    met: (v: number) => boolean,
    show: (v: number) => string,
  ) => {
    if (value !== undefined && Number.isFinite(value))
      out.push({ target, figure: show(value), met: met(value) });
  };
  const cold = (model: string) => r.coldStart.find((c) => c.model === model);
  const small = cold('igpt-small');
  push(
    'cold start, iGPT-small fp32, fromPretrained() to first logits <= 1.0 s',
    small?.msToFirstToken,
    (v) => v <= 1000,
    (v) => `${f(v / 1e3)} s (session creation ${f((small?.phases.sessionMs ?? 0) / 1e3)} s)`,
  );
  const embedded = cold('embedded');
  push(
    'cold start, embedded model <= 0.1 s',
    embedded?.msToFirstToken,
    (v) => v <= 100,
    (v) => `${f(v / 1e3, 3)} s (session creation ${f((embedded?.phases.sessionMs ?? 0) / 1e3, 3)} s)`,
  );

  const decode = (dtype: string, batch: number) =>
    r.decode.find((d) => d.model === 'igpt-small' && d.dtype === dtype && d.batch === batch);
  const fp32 = decode('fp32', 1);
  const q8 = decode('q8', 1);
  const b8 = decode('fp32', 8);
  push(
    'q8 decode >= 2.2x fp32 tokens/s (batch 1)',
    q8 && fp32 && q8.tokensPerSecond / fp32.tokensPerSecond,
    (v) => v >= 2.2,
    (v) => `${f(v)}x (${f(q8?.tokensPerSecond ?? 0, 0)} / ${f(fp32?.tokensPerSecond ?? 0, 0)} tokens/s)`,
  );
  const q8Quality = r.quality.find((q) => q.dtype === 'q8')?.relativeToFp32;
  push(
    'q8 bits/token within +1% of fp32',
    q8Quality === undefined ? undefined : (q8Quality - 1) * 100,
    (v) => v <= 1,
    (v) => `${v >= 0 ? '+' : ''}${f(v)}%`,
  );
  push(
    'q8 decode <= 2.0x its bandwidth limit (batch 1)',
    q8?.ratioToLimit,
    (v) => v <= 2,
    (v) => `${f(v)}x`,
  );
  push(
    'batch 8 >= 3.5x batch-1 tokens/s (fp32, whole image)',
    b8 && fp32 && b8.tokensPerSecond / fp32.tokensPerSecond,
    (v) => v >= 3.5,
    (v) => `${f(v)}x (${f(b8?.tokensPerSecond ?? 0, 0)} / ${f(fp32?.tokensPerSecond ?? 0, 0)} tokens/s)`,
  );
  const prefill = (graph: string) => r.prefill.find((p) => p.model === 'igpt-small' && p.graph === graph);
  const fused = prefill('fused');
  const reference = prefill('reference');
  push(
    'fused prefill >= 1.5x the reference graph images/s',
    fused && reference && fused.imagesPerSecond / reference.imagesPerSecond,
    (v) => v >= 1.5,
    (v) => `${f(v)}x (${f(fused?.imagesPerSecond ?? 0)} / ${f(reference?.imagesPerSecond ?? 0)} images/s)`,
  );
  push(
    'fp32 decode <= 1.6x the bandwidth limit (batch 1)',
    fp32?.ratioToLimit,
    (v) => v <= 1.6,
    (v) => `${f(v)}x`,
  );
  return out;
}
