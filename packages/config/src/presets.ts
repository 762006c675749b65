/** OpenAI's published ImageGPT sizes (HF `openai/imagegpt-{small,medium,large}`). */
export type ImageGPTPresetName = 'small' | 'medium' | 'large';

/** The keys of each published `config.json` that differ in size; the rest are HF's defaults. */
export const IMAGEGPT_PRESETS: Readonly<Record<ImageGPTPresetName, Readonly<Record<string, number>>>> = {
  small: { vocab_size: 513, n_positions: 1024, n_layer: 24, n_embd: 512, n_head: 8 },
  medium: { vocab_size: 513, n_positions: 1024, n_layer: 36, n_embd: 1024, n_head: 8 },
  large: { vocab_size: 513, n_positions: 1024, n_layer: 48, n_embd: 1536, n_head: 16 },
};
