import type { BenchResults } from './bench-results.js';

const f = (x: number, digits = 2) => x.toFixed(digits);

/** The bench results as Markdown tables (printed by `igpt bench` and pasted into the docs). */
export function formatBench(r: BenchResults): string {
  const m = r.machine;
  const lines: string[] = [
    `Machine: ${m.cpuModel}, ${m.cpus} cores, ${m.threads} threads, Node ${m.node}${r.quick ? ' (QUICK smoke run: figures are not meaningful)' : ''}`,
    `Memory read bandwidth (ReduceSum through onnxruntime): ${f(m.bandwidthGBs, 1)} GB/s (runs: ${m.bandwidthRunsGBs.map((x) => f(x, 1)).join(', ')})`,
    `fp32 GEMM peak (MatMul through onnxruntime): ${f(m.gemmGFLOPs, 0)} GFLOP/s (runs: ${m.gemmRunsGFLOPs.map((x) => f(x, 0)).join(', ')})`,
    '',
    '| model | dtype | batch | steps | ms/step | ms/token | tokens/s | limit ms/step | × limit | image s |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const d of r.decode) {
    lines.push(
      `| ${d.model} | ${d.dtype} | ${d.batch} | ${d.steps} | ${f(d.msPerStep)} | ${f(d.msPerToken)} | ${f(d.tokensPerSecond, 0)} | ${f(d.limitMsPerStep)} | ${f(d.ratioToLimit)} | ${f((d.msPerStep * d.steps) / 1e3)} |`,
    );
  }
  lines.push(
    '',
    '| model | dtype | batch | position | ms/step | limit ms | × limit |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const d of r.decode)
    for (const n of d.near)
      lines.push(
        `| ${d.model} | ${d.dtype} | ${d.batch} | ${n.position} | ${f(n.msPerStep)} | ${f(n.limitMs)} | ${f(n.ratio)} |`,
      );
  lines.push(
    '',
    '| prefill model | graph | batch | images/s | GFLOP/s | of GEMM peak |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  );
  for (const p of r.prefill)
    lines.push(
      `| ${p.model} | ${p.graph} | ${p.batch} | ${f(p.imagesPerSecond)} | ${f(p.gflops, 0)} | ${f(p.fractionOfGemmPeak * 100, 0)}% |`,
    );
  lines.push(
    '',
    `Processor: ${f(r.processor.imagesPerSecond, 1)} images/s (${r.processor.inputSide}×${r.processor.inputSide} RGB → ${r.processor.side}×${r.processor.side}, ${r.processor.clusters} clusters)`,
    `Linear probe: ${f(r.probe.seconds)} s for ${r.probe.samples} × ${r.probe.dims} features, ${r.probe.classes} classes, ${r.probe.iterations} L-BFGS iterations`,
  );
  for (const c of r.coldStart) {
    const p = c.phases;
    lines.push(
      `Cold start (${c.model}): ${f(c.msToFirstToken, 0)} ms from fromPretrained() to the first token's logits (median of ${c.runsMs.map((x) => f(x, 0)).join(', ')} ms, fresh processes); one run step by step: read ${f(p.readMs, 0)} ms, decode graph ${f(p.graphMs, 0)} ms, session creation ${f(p.sessionMs, 0)} ms, first step ${f(p.firstStepMs, 0)} ms`,
    );
  }
  lines.push(
    '',
    '| step profile (iGPT-small) | wall ms/step | in run() | kernels | kernels/step | largest kernel shares |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const p of r.stepProfile) {
    const top = p.byOp
      .slice(0, 4)
      .map((o) => `${o.op} ${f(o.ms)} ms (${o.count})`)
      .join(', ');
    lines.push(
      `| ${p.dtype}, batch ${p.batch}, near ${p.position} | ${f(p.wallMs)} | ${f(p.runMs)} | ${f(p.kernelMs)} | ${p.nodesPerStep} | ${top} |`,
    );
  }
  lines.push(
    '',
    '| dtype | bits/token (held-out digits) | vs fp32 | max logit error (small-causal) |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const q of r.quality)
    lines.push(
      `| ${q.dtype} | ${q.bitsPerToken === undefined ? '—' : f(q.bitsPerToken, 4)} | ${q.relativeToFp32 === undefined ? '—' : `${f((q.relativeToFp32 - 1) * 100, 2)}%`} | ${q.maxLogitErrorSmallCausal === undefined ? '—' : q.maxLogitErrorSmallCausal.toExponential(2)} |`,
    );
  lines.push('', '| target | figure | |', '| --- | --- | --- |');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.figure} | ${t.met ? 'met' : 'missed'} |`);
  return lines.join('\n');
}
