/**
 * `@imagegpt/core/io`: the file-reading policy every reader of a model folder applies (Node and the
 * browser alike): the limits per kind of file and their refusal (also at the root), and the bounded
 * reads the packages build on: `readFileWithin`, `readJsonText`, the size cap by file name, and
 * the hub cache layout that links may lead into.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_FILE_LIMITS,
  type FileLimits,
  FilePolicyError,
  type FilePolicyErrorDetails,
  type FilePolicyRule,
  fileLimits,
  hubCacheBlobsDir,
  maxReadBytes,
  type ReadFileWithinOptions,
  readFileWithin,
  readJsonText,
  tooLarge,
} from './file-policy.js';
export type { FileReadOptions, FileSource, LocalFile } from './file-source.js';
