/**
 * The embedded default model of ImageGPT.ts: a small ImageGPT trained on MNIST digits
 * (16x16 pixels, 16 grey levels), in the Hugging Face layout, safetensors only.
 *
 * The folders are plain files shipped in this package (`assets/`). The URLs below are for Node:
 * they are `file:` URLs that `fromPretrained` from `@imagegpt/node` reads from disk. A bundler does
 * not turn them into served files (Vite leaves `new URL(folder, import.meta.url)` unchanged when it
 * points at a folder), so in a browser, serve the folder instead: copy
 * `node_modules/@imagegpt/model-mnist-16/assets/igpt-mnist-16/` into the app's static files (with
 * Vite, `public/models/igpt-mnist-16/`) and pass its URL (`/models/igpt-mnist-16/`) to
 * `fromPretrained` from `@imagegpt/web`. The model card is `assets/MODEL_CARD.md`.
 *
 * @example
 * ```ts
 * import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
 * import { ImageGPTForCausalImageModeling } from '@imagegpt/node';
 * const model = await ImageGPTForCausalImageModeling.fromPretrained(mnistCausalUrl);
 * ```
 *
 * @packageDocumentation
 */

/** Folder of `igpt-mnist-16`: the causal image-modeling checkpoint (generate, complete, features). */
export const mnistCausalUrl: URL = new URL('../assets/igpt-mnist-16/', import.meta.url);

/** Folder of `igpt-mnist-16-classifier`: the same backbone with a 10-class `score` head. */
export const mnistClassifierUrl: URL = new URL('../assets/igpt-mnist-16-classifier/', import.meta.url);

/** The model card (training data, preprocessing, measured loss and accuracy). */
export const modelCardUrl: URL = new URL('../assets/MODEL_CARD.md', import.meta.url);

/** Files in each model folder, for loaders that cannot list a directory (fetch). */
export const MODEL_FILES = {
  causal: ['config.json', 'generation_config.json', 'preprocessor_config.json', 'model.safetensors'],
  classifier: ['config.json', 'preprocessor_config.json', 'model.safetensors'],
} as const;

/** Figures from the model card, measured on the 1,000 held-out digits (last 100 of each class). */
export const MODEL_CARD_FIGURES = {
  /** Test cross-entropy of the 256 pixel tokens, nats per token. */
  testNatsPerToken: 0.4659,
  /** The same in bits per 16-level token. */
  testBitsPerToken: 0.6721,
  /** Accuracy of the classifier checkpoint. */
  classifierAccuracy: 0.948,
  /** Linear-probe accuracy per hidden-state index (input: 256 pixel tokens, no SOS). */
  probeAccuracyByLayer: [0.355, 0.932, 0.938, 0.942, 0.948],
} as const;
