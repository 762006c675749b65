// @imagegpt/queue: ImageGPT.ts past one machine. Dataset features and bulk generation split into
// shards, one BullMQ job per shard on Redis, run by any number of workers. BullMQ and ioredis are
// loaded only when a queue is used, so the per-shard functions cost nothing to import.
export {
  type ConnectOptions,
  connectRedis,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type RedisHandle,
} from './connection.js';
export {
  DEFAULT_QUEUE_NAME,
  type RunShardsOptions,
  runShards,
  type ShardRunPlan,
} from './coordinator.js';
export { type FeaturesFileSpec, featuresFileChunks } from './features-file.js';
export {
  encodeFeaturesShard,
  type FeaturesShardSpec,
  featuresShard,
  readFeaturesShard,
} from './features-shard.js';
export {
  encodeGenerateShard,
  type GenerateShardSpec,
  generateShard,
  readGenerateShard,
  type SamplingSpec,
} from './generate-shard.js';
export { isImageUrl, readImageSource } from './image-source.js';
export { canonicalJson, SHARD_FORMAT_VERSION, shardJobId } from './job-id.js';
export { describeModel, type ModelRef } from './model-ref.js';
export { QueueError } from './queue-error.js';
export { parseRedisUrl, type RedisTarget } from './redis-url.js';
export {
  type FeaturesJobData,
  featuresTasks,
  type GenerateJobData,
  generateTasks,
  type ShardJobData,
  type ShardPlace,
  type ShardTask,
  type TaskOptions,
} from './shard-jobs.js';
export { DEFAULT_SHARD_SIZE, planShards, type ShardRange } from './shard-plan.js';
export { type LoadModel, type ModelUse, ShardProcessor, type ShardResult } from './shard-processor.js';
export {
  DEFAULT_IDLE_MS,
  DEFAULT_LOCK_MS,
  type RunWorkerOptions,
  runWorker,
  type WorkerEvent,
  type WorkerSummary,
} from './worker.js';
