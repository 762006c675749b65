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
export type { FileReadOptions, FileSource } from './file-source.js';
