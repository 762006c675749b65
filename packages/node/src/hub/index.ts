export { type BlobLockOptions, withBlobLock } from './blob-lock.js';
export {
  downloadModel,
  type HubDownloadOptions,
  type HubDownloadProgress,
  type HubSnapshot,
} from './download-model.js';
export { HubCacheRepo, type HubSnapshotLocation, hubSnapshotLocation } from './hub-cache.js';
export {
  type HubEnv,
  type HubSettings,
  type HubSettingsOptions,
  hfHome,
  hubCacheDir,
  hubSettings,
  hubToken,
  isHubOffline,
} from './hub-settings.js';
