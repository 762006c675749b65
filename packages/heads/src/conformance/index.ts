export { type ConformanceOutput, compareExactFloats, compareFloats, compareIntegers } from './compare.js';
export {
  ConformanceCaseError,
  type ConformanceOptions,
  type ConformanceReport,
  runConformance,
} from './run-conformance.js';
