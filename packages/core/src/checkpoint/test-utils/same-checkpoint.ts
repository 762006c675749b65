import { expect } from 'vitest';
import type { Checkpoint } from '../checkpoint.js';

/** Same names (in order), metadata, source, dtypes, shapes and bytes. */
export function expectSameCheckpoint(actual: Checkpoint, expected: Checkpoint): void {
  expect(actual.source).toBe(expected.source);
  expect(actual.metadata).toEqual(expected.metadata);
  expect(actual.names()).toEqual(expected.names());
  for (const name of expected.names()) {
    const a = actual.get(name);
    const e = expected.get(name);
    expect([a.dtype, a.shape], name).toEqual([e.dtype, e.shape]);
    expect(Buffer.from(a.bytes).equals(Buffer.from(e.bytes)), name).toBe(true);
  }
}
