/**
 * `@imagegpt/config/json`: the JSON helpers the ImageGPT.ts packages share. `toHfJsonString` writes
 * JSON byte for byte as HF's `to_json_string` (what `toJSONString()` of the config and the image
 * processor return), `pythonFloat` is Python's float repr, and `previewValue` is the short value
 * preview every typed error shows; `SAVED_TRANSFORMERS_VERSION` is the version the writers put in
 * saved files. `JsonReader` and `readJsonMembers` read a JSON document in one bounded pass (skipped
 * values checked but never built), as every reader of a model folder's JSON does.
 *
 * @packageDocumentation
 */
export { type HfJsonOptions, pythonFloat, toHfJsonString } from './hf-json.js';
export {
  DEFAULT_JSON_MAX_DEPTH,
  type JsonFail,
  JsonReader,
  type JsonReaderOptions,
  type JsonValueText,
  readJsonMembers,
} from './json-reader.js';
export { previewValue } from './preview-value.js';
export { SAVED_TRANSFORMERS_VERSION } from './saved-version.js';
