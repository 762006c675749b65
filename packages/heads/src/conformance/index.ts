/**
 * `@imagegpt/heads/conformance`: `runConformance` (also at the root) and the pieces it compares with:
 * `compareFloats` (the one allclose), `compareIntegers`, `compareExactFloats`, the one tolerance rule
 * `outputTolerance`, and `CaseMeta`, a case's `meta.json`.
 *
 * @packageDocumentation
 */

export {
  type CaseMeta,
  ConformanceCaseError,
  outputTolerance,
} from './case-files.js';
export { type ConformanceOutput, compareExactFloats, compareFloats, compareIntegers } from './compare.js';
export type { ConformanceReport } from './report.js';
export { type ConformanceOptions, runConformance } from './run-conformance.js';
