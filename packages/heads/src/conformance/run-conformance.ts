import type { FileSource, ImageGPTBackend, WeightFormat } from '@imagegpt/core';
import type { RawImage } from '@imagegpt/processor';
import { type CaseMeta, ConformanceCaseError, readCaseJson } from './case-files.js';
import type { ConformanceOutput } from './compare.js';
import { runModelCase } from './model-case.js';
import { runProcessorCase } from './processor-case.js';
import type { ConformanceReport } from './report.js';

/** Options for {@link runConformance}. */
export interface ConformanceOptions {
  /** The runtime under test. */
  backend: ImageGPTBackend;
  /** Weight file of a model case; default `safetensors`. */
  weights?: WeightFormat;
  /** Decodes an image file of a processor case (sharp in Node, canvas in the browser). */
  decodeImage: (bytes: Uint8Array, name: string) => Promise<RawImage>;
  /** Called after each output is compared. */
  onOutput?: (output: ConformanceOutput) => void;
}

/**
 * Runs one case folder in the golden format (see CONFORMANCE.md) against a backend: computes every
 * output in io.safetensors from its inputs and compares it with the reference. Platform-free: the
 * caller supplies the files, the runtime and the image decoder, so Node and the browser run the
 * same suite.
 */
export async function runConformance(
  files: FileSource,
  options: ConformanceOptions,
): Promise<ConformanceReport> {
  const meta = await readCaseJson<CaseMeta>(files, 'meta.json');
  if (meta.kind === 'ImageGPTImageProcessor') return runProcessorCase(files, meta, options);
  if (meta.head === 'ImageGPTForCausalImageModeling' || meta.head === 'ImageGPTForImageClassification') {
    return runModelCase(files, meta, options);
  }
  throw new ConformanceCaseError(
    `${files.location}/meta.json: neither a model case (head ImageGPTForCausalImageModeling or ImageGPTForImageClassification) nor a processor case (kind ImageGPTImageProcessor)`,
  );
}
