/**
 * The part of `AbortSignal` that generation reads. Declared structurally because core is built without
 * DOM or Node type libraries; any real `AbortSignal` satisfies it.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

interface DomExceptionConstructor {
  new (message?: string, name?: string): Error;
}

/**
 * Builds the rejection value for an aborted generation: a `DOMException` named `'AbortError'` where the
 * runtime has one (browsers, Node >= 17), so `err.name === 'AbortError'` checks work like they do for
 * `fetch`; otherwise a plain `Error` with that name.
 */
export function createAbortError(message = 'Generation was aborted'): Error {
  const DomException = (globalThis as { DOMException?: DomExceptionConstructor }).DOMException;
  if (DomException !== undefined) return new DomException(message, 'AbortError');
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}
