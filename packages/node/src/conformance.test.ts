// The tfjs habit: the ONE conformance suite of @imagegpt/heads, run here on onnxruntime-node with
// sharp decoding, over every golden case (found from the data) and both weight formats: what
// tooling/scripts/browser-tests.mjs runs in Chromium through @imagegpt/web. A runtime is correct when
// this suite passes on it; pending cases are asserted to fail, never skipped.
import { WEIGHT_FORMATS, type WeightFormat } from '@imagegpt/core';
import { type ConformanceReport, runConformance } from '@imagegpt/heads';
import { goldenCases } from '@imagegpt/test-kit';
import { describeOutput } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './image-io.js';
import { createNodeBackend } from './node-backend.js';
import { NodeFileSource } from './node-file-source.js';

const backend = createNodeBackend({ threads: 2 });

/** A report, or (as in the browser) a failed one holding the error when the case could not run. */
type CaseReport = ConformanceReport & { error?: string };

function runCase(dir: string, name: string, weights: WeightFormat | undefined): Promise<CaseReport> {
  return runConformance(new NodeFileSource(dir), {
    backend,
    ...(weights === undefined ? {} : { weights }),
    decodeImage: (bytes, source) => decodeImage(bytes, { source }),
  }).catch(
    (e: unknown): CaseReport => ({
      case: name,
      kind: weights === undefined ? 'processor' : 'model',
      weights: weights ?? null,
      pass: false,
      outputs: [],
      error: e instanceof Error ? e.message : String(e),
    }),
  );
}

describe('conformance suite on onnxruntime-node (every golden case, both weight formats)', () => {
  for (const { name, dir, kind, pending } of goldenCases()) {
    for (const weights of kind === 'model' ? WEIGHT_FORMATS : [undefined]) {
      const label = `${name} (${weights ?? 'processor'})`;
      if (pending !== undefined) {
        it(`${label} still fails (pending: ${pending})`, async () => {
          const report = await runCase(dir, name, weights);
          expect(report.pass, `${label} passes now: take it off the pending list`).toBe(false);
        });
        continue;
      }
      it(`${label} passes`, async () => {
        const report = await runCase(dir, name, weights);
        expect(report.error).toBeUndefined();
        expect(report.outputs.filter((o) => !o.pass).map(describeOutput)).toEqual([]);
        expect(report).toMatchObject({ case: name, kind, weights: weights ?? null, pass: true });
        expect(report.outputs.length).toBeGreaterThan(0);
      });
    }
  }
});
