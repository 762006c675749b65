// How ONNX Runtime words "this runtime cannot run an operator of the model", as onnxruntime-node and
// onnxruntime-web 1.30 throw it from InferenceSession.create (the web build prefixes
// "Can't create a session. ERROR_CODE: n, ERROR_MESSAGE: "); the last is the wording of releases
// before 1.17. Anything else (a bad model, memory, a size limit) is not a refusal of an operator.
const OPERATOR_REFUSALS: readonly RegExp[] = [
  // The op's schema is unknown: a build without ONNX Runtime's contrib ops (com.microsoft).
  /\b[\w.]+:\w+\(-?\d+\) is not a registered function\/op/,
  // No schema for this op at the model's opset.
  /\bNo Op registered for \w+ with domain_version of \d+/,
  // The schema is known but no execution provider has a kernel for it (or for these types).
  /\bFailed to find kernel for [\w.]+\(\d+\)/,
  /\bCould not find an implementation for \w+\(\d+\)/,
];

/**
 * The runtime's message when `error` is its refusal to run an operator of the model (an operator
 * it does not implement, such as a contrib op missing from a build); undefined for any other error.
 *
 * @example
 * const session = await backend.createSession(artifact).catch((e: unknown) => {
 *   if (operatorRefusal(e) === undefined) throw e;
 *   return undefined; // run a graph of standard ops instead
 * });
 */
export function operatorRefusal(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
  if (message === undefined) return undefined;
  return OPERATOR_REFUSALS.some((pattern) => pattern.test(message)) ? message : undefined;
}
