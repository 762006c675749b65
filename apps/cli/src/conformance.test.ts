import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { igpt, REPO } from './test-utils.js';

const GOLDEN = join(REPO, '..', 'shared', 'golden');
const MODEL_CASES = ['tiny-causal', 'tiny-causal-mask', 'tiny-generate', 'tiny-classify', 'small-causal'];

interface Report {
  case: string;
  kind: string;
  weights: string | null;
  pass: boolean;
  outputs: { name: string; maxAbsErr: number | null; mismatches: number | null; pass: boolean }[];
}

describe('pnpm igpt conformance (CONFORMANCE.md contract)', () => {
  for (const name of MODEL_CASES) {
    for (const weights of ['safetensors', 'bin']) {
      it(`${name} passes with ${weights}`, () => {
        const run = igpt(['conformance', join(GOLDEN, name), '--weights', weights, '--json']);
        const report = JSON.parse(run.stdout) as Report;
        const failed = report.outputs.filter((o) => !o.pass).map((o) => o.name);
        expect(failed).toEqual([]);
        expect(report).toMatchObject({ case: name, kind: 'model', weights, pass: true });
        expect(report.outputs.length).toBeGreaterThan(0);
        expect(run.code).toBe(0);
      });
    }
  }

  it('image-processor passes exactly', () => {
    const run = igpt(['conformance', join(GOLDEN, 'image-processor'), '--json']);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.kind).toBe('processor');
    expect(report.outputs.map((o) => o.name).sort()).toEqual([
      'clusters512_input_ids',
      'clusters512_pixels',
      'clusters512_resized_uint8',
      'input_ids',
      'pixels',
      'resized_uint8',
    ]);
    expect(report.outputs.every((o) => o.pass && (o.mismatches ?? 0) === 0)).toBe(true);
    expect(run.code).toBe(0);
  });

  it('prints one line per output without --json', () => {
    const run = igpt(['conformance', join(GOLDEN, 'tiny-classify')]);
    expect(run.code).toBe(0);
    for (const name of ['logits', 'pooled', 'loss', 'last_hidden_state']) expect(run.stdout).toMatch(new RegExp(`pass\\s+${name}\\b`));
  });

  it('exits 2 on a folder that is not a case', () => {
    expect(igpt(['conformance', join(REPO, 'packages')]).code).toBe(2);
    expect(igpt(['conformance', '/no/such/case']).code).toBe(2);
  });
});
