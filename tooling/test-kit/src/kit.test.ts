import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goldenCase } from './golden.js';
import { goldenCases, PENDING, REPO_ROOT, sharedDir, sharedPath } from './golden-cases.mjs';
import { workspaceAliases } from './vitest.mjs';

describe('golden paths and cases', () => {
  it('finds the repository root and the shared data beside it (or at IGPT_SHARED)', () => {
    expect(existsSync(join(REPO_ROOT, 'pnpm-workspace.yaml'))).toBe(true);
    expect(existsSync(join(sharedDir(), 'golden', 'CONFORMANCE.md'))).toBe(true);
  });

  it('fails loudly, naming the path, when a shared file is missing', () => {
    expect(() => sharedPath('golden', 'no-such-case')).toThrow(/no-such-case is missing \(set IGPT_SHARED/);
  });

  it('lists every case folder with its kind; every pending name is a real case', () => {
    const cases = goldenCases();
    const names = cases.map((c) => c.name);
    expect(names).toEqual([...names].sort());
    expect(cases.find((c) => c.name === 'tiny-causal')).toMatchObject({ kind: 'model', pending: undefined });
    expect(cases.find((c) => c.name === 'image-processor')).toMatchObject({ kind: 'processor' });
    for (const name of Object.keys(PENDING)) expect(names).toContain(name);
  });

  it('aliases every workspace package to its sources', () => {
    const aliases = workspaceAliases();
    expect(aliases['@imagegpt/core']).toBe(join(REPO_ROOT, 'packages', 'core', 'src', 'index.ts'));
    expect(Object.keys(aliases)).toContain('@imagegpt/model-mnist-16');
    for (const entry of Object.values(aliases)) expect(existsSync(entry)).toBe(true);
  });

  it('aliases each package.json subpath to its source, ahead of the root (a prefix match)', () => {
    const aliases = workspaceAliases();
    expect(aliases['@imagegpt/core/graph']).toBe(
      join(REPO_ROOT, 'packages', 'core', 'src', 'graph', 'index.ts'),
    );
    expect(aliases['@imagegpt/heads/lbfgs']).toBe(join(REPO_ROOT, 'packages', 'heads', 'src', 'lbfgs.ts'));
    const order = Object.keys(aliases);
    expect(order.indexOf('@imagegpt/core/graph')).toBeLessThan(order.indexOf('@imagegpt/core'));
  });
});

describe('GoldenCase', () => {
  const golden = goldenCase('tiny-causal');

  it('reads the tolerance from meta.json: atol per tensor, rtol from tolerance_summary', () => {
    expect(golden.tolerance('logits')).toEqual({
      atol: golden.meta.io?.logits?.suggested_atol,
      rtol: 1e-4,
    });
    // A float with no suggested_atol is compared exactly by the suite; asking for a tolerance is a mistake.
    expect(() => goldenCase('image-processor').tolerance('pixels')).toThrow(/no io\.pixels\.suggested_atol/);
  });

  it('passes the reference itself and fails a value off by more than the tolerance', () => {
    const ref = golden.f32('logits');
    expect(golden.compare('logits', ref).pass).toBe(true);
    const { atol, rtol } = golden.tolerance('logits');
    const off = Float32Array.from(ref, (v, i) => (i === 7 ? v + 2 * (atol + rtol * Math.abs(v)) : v));
    expect(golden.compare('logits', off)).toMatchObject({ pass: false, mismatches: 1 });
    expect(golden.compare('logits', off, { include: (i) => i !== 7 }).pass).toBe(true);
  });

  it('checks dims when given a tensor, and compares a derived reference at the tensor’s tolerance', () => {
    const data = golden.f32('logits');
    const wrong = golden.compare('logits', { dims: [1, data.length], data });
    expect(wrong).toMatchObject({ pass: false });
    expect(wrong.note).toMatch(/^shape \[1,\d+\], reference \[2,64,16\]$/);
    expect(golden.compare('logits', { dims: golden.shape('logits'), data }).pass).toBe(true);
    expect(golden.compare('loss', [1], { reference: [1 + 1e-9] }).pass).toBe(true);
  });

  it('reads integer tensors as rows, and both weight files', () => {
    const rows = golden.rows('input_ids');
    expect(rows).toHaveLength(golden.shape('input_ids')[0]!);
    expect(rows[0]![0]).toBe(golden.config.sosTokenId);
    expect(golden.weights('bin').names().sort()).toEqual(golden.weights('safetensors').names().sort());
  });
});
