// Names that left the root of @imagegpt/config for `@imagegpt/config/json`. Each stays importable
// from the root, marked deprecated, until the next minor release removes it here. The curated root is
// index.ts.

export {
  /** @deprecated Moved to `@imagegpt/config/json`. */
  type HfJsonOptions,
  /** @deprecated Moved to `@imagegpt/config/json`. */
  previewValue,
  /** @deprecated Moved to `@imagegpt/config/json`. */
  pythonFloat,
  /** @deprecated Moved to `@imagegpt/config/json`. */
  toHfJsonString,
} from './json.js';
