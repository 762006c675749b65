/** torch.finfo(torch.float32).min: HF masks with it, not with −inf. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * What one layer's self-attention hands back to its block: `output` [B,T,C] (or [B·T,C] in the fused
 * graphs) and, where the variant forms them, `probs`, the softmax probabilities [B,H,T,P+T] that
 * HF returns as `output_attentions` (to expose them, declare `probs` as a graph output).
 */
export interface AttentionOutput {
  readonly output: string;
  readonly probs?: string;
}

/**
 * The one seam between a block and its attention: `attn(x, layer)` takes the normed input of block
 * `layer` and returns its attention output. Each graph picks the variant once (HF's arithmetic with
 * masks and a past, caller-owned cache buffers, or one fused kernel), so the block loop never sees
 * which one runs.
 */
export type Attention = (x: string, layer: number) => AttentionOutput;
