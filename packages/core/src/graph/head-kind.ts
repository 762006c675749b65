/**
 * Which model sits on the trunk: `causal` (ImageGPTForCausalImageModeling, next-token logits over
 * the V−1 colours), `classifier` (ImageGPTForImageClassification) or `base` (ImageGPTModel).
 */
export type HeadKind = 'causal' | 'classifier' | 'base';
