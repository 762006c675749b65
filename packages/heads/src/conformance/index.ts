export {
  type CaseMeta,
  ConformanceCaseError,
  outputTolerance,
} from './case-files.js';
export { type ConformanceOutput, compareExactFloats, compareFloats, compareIntegers } from './compare.js';
export type { ConformanceReport } from './report.js';
export { type ConformanceOptions, runConformance } from './run-conformance.js';
