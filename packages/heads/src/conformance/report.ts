import type { WeightFormat } from '@imagegpt/core';
import type { ConformanceOutput } from './compare.js';

/** The result of one case, in CONFORMANCE.md's JSON shape. */
export interface ConformanceReport {
  case: string;
  kind: 'model' | 'processor';
  weights: WeightFormat | null;
  pass: boolean;
  outputs: ConformanceOutput[];
}

/** The report with `pass` set: at least one output, and every output passes. */
export function finishReport(report: Omit<ConformanceReport, 'pass'>): ConformanceReport {
  return { ...report, pass: report.outputs.length > 0 && report.outputs.every((o) => o.pass) };
}

/** An output no rule computes: it fails, never passes silently (CONFORMANCE.md). */
export function unknownOutput(name: string): ConformanceOutput {
  return {
    name,
    maxAbsErr: null,
    mismatches: null,
    atol: null,
    rtol: null,
    pass: false,
    note: 'unknown output: no rule computes it',
  };
}
