import fc from 'fast-check';
import { expect } from 'vitest';
import { CheckpointError } from '../errors.js';

/**
 * Overwrites up to 4 random bytes of a valid file, 500 times: `read` must either succeed or throw
 * a CheckpointError, never another error type.
 */
export function expectOnlyCheckpointErrors(valid: Uint8Array, read: (bytes: Uint8Array) => unknown): void {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (edits) => {
        const bytes = valid.slice();
        for (const [at, value] of edits) bytes[at] = value;
        try {
          read(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
        }
      },
    ),
    { numRuns: 500 },
  );
}
