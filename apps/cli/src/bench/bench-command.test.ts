import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCommand } from '../commands/bench.js';
import type { Io } from '../context.js';
import { tempDir } from '../test-utils.js';
import type { BenchResults } from './bench-results.js';

// `igpt bench --quick`: every measurement runs once, small, and lands in the JSON file.
describe('igpt bench --quick', () => {
  it('refuses an existing --out without --force before measuring anything', async () => {
    const logged: string[] = [];
    const io: Io = { out: (s) => logged.push(s), err: (s) => logged.push(s), tty: false };
    const out = join(tempDir('igpt-bench-'), 'bench.json');
    writeFileSync(out, 'earlier results');
    await expect(benchCommand(io).parseAsync(['--quick', '--out', out], { from: 'user' })).rejects.toThrow(
      /bench\.json already exists; pass --force to overwrite it/,
    );
    expect(logged).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe('earlier results');
  });

  it('refuses a --golden folder that is not a golden case before measuring anything', async () => {
    const logged: string[] = [];
    const io: Io = { out: (s) => logged.push(s), err: (s) => logged.push(s), tty: false };
    const empty = tempDir('igpt-bench-golden-');
    for (const [dir, message] of [
      [join(empty, 'nowhere'), /--golden .*nowhere: no such directory/],
      [empty, /not a golden case \(no config\.json, model\.safetensors, io\.safetensors\)/],
    ] as const) {
      await expect(
        benchCommand(io).parseAsync(['--quick', '--golden', dir], { from: 'user' }),
      ).rejects.toThrow(message);
    }
    expect(logged).toEqual([]);
  });

  it('measures the machine, decode, prefill, processor, cold start and quality, and writes JSON', async () => {
    const lines: string[] = [];
    const notes: string[] = [];
    const io: Io = { out: (s) => lines.push(s), err: (s) => notes.push(s), tty: false };
    const out = join(tempDir('igpt-bench-'), 'bench.json');
    writeFileSync(out, 'earlier results');
    await benchCommand(io).parseAsync(['--quick', '--json', '--out', out, '--force', '--threads', '2'], {
      from: 'user',
    });
    expect(existsSync(out)).toBe(true);
    const r = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    expect(r.quick).toBe(true);
    expect(r.machine.bandwidthGBs).toBeGreaterThan(0.5);
    expect(r.machine.gemmGFLOPs).toBeGreaterThan(1);
    const models = new Set(r.decode.map((d) => `${d.model}/${d.dtype}/${d.batch}`));
    for (const key of [
      'embedded/fp32/1',
      'embedded/fp32/8',
      'igpt-small/fp32/1',
      'igpt-small/fp32/4',
      'igpt-small/fp32/8',
      'igpt-small/q8/1',
    ])
      expect(models.has(key), key).toBe(true);
    for (const d of r.decode) {
      expect(d.msPerStep).toBeGreaterThan(0);
      // No run can beat the bytes it must read; the ratio is what the report is about.
      expect(d.ratioToLimit).toBeGreaterThan(0.5);
      expect(d.near.find((n) => n.position === 10)).toBeDefined();
    }
    expect(r.prefill.map((p) => `${p.model}/${p.graph}`)).toEqual([
      'embedded/fast',
      'embedded/fused',
      'embedded/reference',
      'igpt-small/fast',
      'igpt-small/fused',
      'igpt-small/reference',
    ]);
    expect(r.processor.imagesPerSecond).toBeGreaterThan(0);
    expect(r.probe.iterations).toBeGreaterThan(0);
    expect(r.coldStart.map((c) => c.model)).toEqual(['embedded', 'igpt-small']);
    for (const c of r.coldStart) {
      // Measured in fresh processes, step by step too; the steps fit inside a whole run.
      expect(c.phases.sessionMs).toBeGreaterThan(0);
      expect(c.phases.firstStepMs).toBeGreaterThan(0);
    }
    // A decode step taken apart by onnxruntime's profiler: its kernels fit inside its run(), which
    // fits inside the step's wall time, and q8's weight products are MatMulNBits.
    expect(r.stepProfile.map((p) => [p.dtype, p.batch])).toEqual([
      ['fp32', 1],
      ['q8', 1],
      ['fp32', 8],
    ]);
    for (const p of r.stepProfile) {
      expect(p.nodesPerStep).toBeGreaterThan(20);
      expect(p.kernelMs).toBeLessThanOrEqual(p.runMs);
      expect(p.runMs).toBeLessThanOrEqual(p.wallMs);
    }
    expect(r.stepProfile[1]?.byOp.map((o) => o.op)).toContain('MatMulNBits');
    // Every target the quick run has figures for is judged (the quick figures themselves mean nothing).
    expect(r.targets.map((t) => t.target)).toContain('cold start, embedded model <= 0.1 s');
    expect(r.targets.every((t) => typeof t.met === 'boolean' && t.figure.length > 0)).toBe(true);
    const q = Object.fromEntries(r.quality.map((x) => [x.dtype, x]));
    expect(q.fp32?.bitsPerToken).toBeGreaterThan(0.3);
    expect(q.q8?.relativeToFp32).toBeLessThan(1.01);
    // Without --golden the logit check is skipped, and the run says so even with --json.
    expect(r.quality.every((x) => x.maxLogitErrorSmallCausal === undefined)).toBe(true);
    expect(notes).toEqual(['bench: no --golden case given: the quantized logit error is skipped']);
    expect(JSON.parse(lines.join('\n')).file).toBe(out);
  }, 120_000);
});
