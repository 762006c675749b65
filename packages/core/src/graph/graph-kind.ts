/**
 * Which graph decodes token by token ({@link ImageGPTRunner.createDecoder}). `fast`: the decode
 * graph ({@link buildDecodeGraph}), with the KV cache in buffers the runtime reads in place and
 * ONNX Runtime's fused kernels. `reference`: the exact standard-op graph ({@link buildImageGPTGraph}),
 * whose whole cache is fed in and returned on every step.
 */
export type DecoderKind = 'fast' | 'reference';

/**
 * Which graph runs a whole unpadded sequence (no past, no padding, default positions). `reference`:
 * the exact standard-op graph, as every other call. `fused`: the prefill graph
 * ({@link buildPrefillGraph}), one GroupQueryAttention kernel per layer and fused norms, a rounding
 * apart and faster on long sequences (it never forms the [B,H,T,T] scores).
 */
export type PrefillKind = 'reference' | 'fused';

/** Every graph the builders make, as the ONNX metadata entry `attention` names it. */
export type GraphKind = DecoderKind | PrefillKind;
