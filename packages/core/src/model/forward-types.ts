import type { HostTensor } from '../backend/backend.js';
import type { KeyValueCache } from './kv-cache.js';

/** Optional inputs of {@link ImageGPTRunner.forward}, with HF's defaults. */
export interface ForwardOptions {
  /** [B][P+T], 1 = attend, 0 = padding. Default: all ones. */
  attentionMask?: number[][];
  /**
   * [B][T] positions into `wpe`. Default: P + arange(T) for every row, even with a mask (as HF).
   * With them, past and new tokens together may exceed n_positions (left padding takes slots
   * without positions); each position must still be below it.
   */
  positionIds?: number[][];
  /** Keys and values of earlier positions; the new tokens continue after them. */
  past?: KeyValueCache;
  /** Also return `hiddenStates` (HF's `output_hidden_states`). */
  outputHiddenStates?: boolean;
  /**
   * Also return `attentions` (HF's `output_attentions`). The first such call opens a session of
   * its own on the reference graph, so calls without it keep their speed and memory.
   */
  outputAttentions?: boolean;
}

/** What {@link ImageGPTRunner.forward} returns (HF's output names, camelCased). */
export interface ForwardResult {
  /**
   * causal: [B,T,V−1]; classifier: [B,num_labels]. The base model has no head: there it is the same
   * tensor as `lastHiddenState`, so the field is always present.
   */
  logits: HostTensor;
  /** `past` followed by this call's keys and values, [B,H,P+T,D] per layer. */
  presents: KeyValueCache;
  /** [B,T,C], after `ln_f`. */
  lastHiddenState: HostTensor;
  /** n_layer+1 entries of [B,T,C]: [0] the embeddings, [i] block i−1's output, the last after `ln_f`. */
  hiddenStates?: HostTensor[];
  /**
   * n_layer entries of [B,H,T,P+T]: layer i's softmax probabilities, query by key over the past and
   * this call's tokens (causally hidden and padded keys get 0). Only with `outputAttentions`.
   */
  attentions?: HostTensor[];
  /** classifier: mean over all T of `lastHiddenState`, [B,C]. */
  pooled?: HostTensor;
}
