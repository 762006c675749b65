import { type Checkpoint, formatShape } from './checkpoint.js';
import { CheckpointError } from './errors.js';

/** A tensor a model needs: its name and shape. */
export interface ExpectedWeight {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Options of {@link validateWeights}. */
export interface ValidateWeightsOptions {
  /** Tensors the model does not use but may tolerate (for example another head's weights). */
  readonly allowExtra?: (name: string) => boolean;
}

/**
 * Checks that a checkpoint holds exactly the expected tensors with the expected shapes. Every
 * missing, unexpected or wrongly shaped tensor is gathered into ONE {@link CheckpointError}
 * (`details` lists them, with expected and actual shapes), so a user sees the whole mismatch at once.
 *
 * @example
 * validateWeights(ckpt, [{ name: 'transformer.wte.weight', shape: [17, 32] }], { allowExtra: (n) => n === 'lm_head.weight' });
 */
export function validateWeights(
  checkpoint: Checkpoint,
  expected: readonly ExpectedWeight[],
  options: ValidateWeightsOptions = {},
): void {
  const missing: string[] = [];
  const wrong: string[] = [];
  const wanted = new Set<string>();
  for (const { name, shape } of expected) {
    wanted.add(name);
    if (!checkpoint.has(name)) {
      missing.push(`missing: ${name} (expected ${formatShape(shape)})`);
      continue;
    }
    const actual = checkpoint.get(name).shape;
    if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
      wrong.push(`wrong shape: ${name} is ${formatShape(actual)}, expected ${formatShape(shape)}`);
    }
  }
  const unexpected = checkpoint
    .names()
    .filter((name) => !wanted.has(name) && !(options.allowExtra?.(name) ?? false))
    .map((name) => `unexpected: ${name} ${formatShape(checkpoint.get(name).shape)}`);

  const details = [...missing, ...wrong, ...unexpected];
  if (details.length === 0) return;
  const counts = [
    missing.length > 0 ? `${missing.length} missing` : '',
    wrong.length > 0 ? `${wrong.length} wrongly shaped` : '',
    unexpected.length > 0 ? `${unexpected.length} unexpected` : '',
  ].filter((x) => x !== '');
  throw new CheckpointError(`weights do not match the model: ${counts.join(', ')}`, {
    file: checkpoint.source,
    details,
  });
}
