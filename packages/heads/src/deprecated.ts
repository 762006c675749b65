// Names that left the root of @imagegpt/heads for an entry point of their own. Each stays importable
// from the root, marked deprecated with where it went, until the next minor release removes it here;
// the entry points keep them. The curated root is index.ts.

export {
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  type CaseMeta,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  compareExactFloats,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  compareFloats,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  compareIntegers,
  /** @deprecated Moved to `@imagegpt/heads/conformance`. */
  outputTolerance,
} from './conformance/index.js';
export {
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  type LbfgsOptions,
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  type LbfgsResult,
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  minimizeLbfgs,
  /** @deprecated Moved to `@imagegpt/heads/lbfgs`. */
  type Objective,
} from './lbfgs.js';
