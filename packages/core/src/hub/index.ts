/**
 * `@imagegpt/core/hub`: the platform-free parts of fetching a model from the Hugging Face hub, which
 * `@imagegpt/node` (the hub cache) and `@imagegpt/web` (the Cache API) share: repo id and revision
 * rules, the URLs, the headers of a `resolve` answer, which files make a model, and `HubError`
 * (also at the root).
 *
 * @packageDocumentation
 */

export { isPlainRelativePath } from '../io/file-source.js';
export {
  type HeaderLookup,
  type HubFileMetadata,
  isSha256Etag,
  normalizeEtag,
  readFileMetadata,
} from './file-metadata.js';
export {
  HubError,
  type HubErrorDetails,
  type HubErrorReason,
  type HubHttpFailure,
  hubHttpError,
} from './hub-error.js';
export { chooseModelFiles, HUB_CONFIG_FILES, type ModelFileProbe, type ModelFiles } from './model-files.js';
export {
  checkEndpoint,
  checkRepoId,
  checkRevision,
  DEFAULT_HUB_ENDPOINT,
  DEFAULT_REVISION,
  hubFileUrl,
  hubFolderUrl,
  hubRevisionApiUrl,
  isCommitHash,
  isRepoId,
  repoFolderName,
} from './repo-id.js';
