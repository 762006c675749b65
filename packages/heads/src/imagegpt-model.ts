import type { ModelHead } from '@imagegpt/config';
import type { ForwardOptions, ForwardResult } from '@imagegpt/core';
import { ImageGPTHead } from './imagegpt-head.js';

/**
 * The bare ImageGPT transformer (HF `ImageGPTModel`): token ids in, hidden states out. Loads
 * the backbone of any ImageGPT checkpoint, whether saved from a head (`transformer.*` keys) or
 * from `ImageGPTModel` itself (bare `wte.weight`, `h.0.*`, `ln_f.weight`).
 *
 * @example
 * const model = await ImageGPTModel.fromSource(files, { backend });
 * const { lastHiddenState } = await model.forward([[16, 0, 0, 3]]);  // [1, 4, C]
 * const [pooled] = await model.features([image]);                     // [C]
 */
export class ImageGPTModel extends ImageGPTHead {
  static override readonly headKind: ModelHead = 'base';

  /**
   * Runs the transformer: `lastHiddenState` [B,T,C] after `ln_f`, the key/value cache and, with
   * `outputHiddenStates`, all `nLayer + 1` hidden states (HF semantics). Rows must be rectangular.
   */
  async forward(
    inputIds: readonly (readonly number[])[],
    options: ForwardOptions = {},
  ): Promise<ForwardResult> {
    return this.runner.forward(inputIds, options);
  }
}
