import type { HostTensor } from '../backend/backend.js';

/**
 * The attention keys and values of every position seen so far: per layer `key` and `value`, each
 * [B, n_head, length, head_dim] float32 (HF's `past_key_values`, heads already split).
 */
export interface KeyValueCache {
  readonly length: number;
  readonly layers: readonly { key: HostTensor; value: HostTensor }[];
}
