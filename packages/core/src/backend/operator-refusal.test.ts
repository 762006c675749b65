import { describe, expect, it } from 'vitest';
import { operatorRefusal } from './operator-refusal.js';

// Messages as onnxruntime 1.30 throws them from InferenceSession.create: onnxruntime-node first,
// then onnxruntime-web (wasm) with its "Can't create a session" prefix. The node package re-checks
// the first kind against the real runtime (graph-fallback.test.ts).
const WEB = (code: number, message: string) =>
  `Can't create a session. ERROR_CODE: ${code}, ERROR_MESSAGE: ${message}`;
const UNREGISTERED = 'Fatal error: com.microsoft:GroupQueryAttention(-1) is not a registered function/op';
const NO_SCHEMA =
  'This is an invalid model. In Node, ("QuickGelu_3", QuickGelu, "", -1) : ("x": tensor(float),) -> ' +
  '("y": tensor(float),) , Error No Op registered for QuickGelu with domain_version of 17';
const NO_KERNEL =
  "Failed to find kernel for com.microsoft.QuickGelu(1) (node:'/QuickGeluFusion/' ep:'CPUExecutionProvider'). " +
  'Op with name (/QuickGeluFusion/) domain (com.microsoft) and type (QuickGelu) kernel is not supported in ' +
  'CPUExecutionProvider.';
// Before onnxruntime 1.17.
const NOT_IMPLEMENTED =
  "[ONNXRuntimeError] : 9 : NOT_IMPLEMENTED : Could not find an implementation for SkipSimplifiedLayerNormalization(1) node with name 'h.0/SkipSimplifiedLayerNormalization_7'";

describe('operatorRefusal', () => {
  it.each([
    UNREGISTERED,
    WEB(1, UNREGISTERED),
    NO_SCHEMA,
    WEB(6, 'No Op registered for QuickGelu with domain_version of 17'),
    NO_KERNEL,
    WEB(9, NO_KERNEL),
    NOT_IMPLEMENTED,
  ])('recognises a refused operator: %s', (message) => {
    expect(operatorRefusal(new Error(message))).toBe(message);
  });

  it.each([
    'Failed to load model because protobuf parsing failed.',
    WEB(7, 'Failed to load model because protobuf parsing failed.'),
    WEB(2, 'No graph was found in the protobuf.'),
    'Model data pointer is null.',
    "WebBackend: the model is 3.10 GiB, over the 2.00 GiB the wasm device can load (use createWebBackend({ device: 'webgpu' }))",
    'std::bad_alloc',
  ])('leaves any other error alone: %s', (message) => {
    expect(operatorRefusal(new Error(message))).toBeUndefined();
  });

  it('reads a thrown string and ignores values without a message', () => {
    expect(operatorRefusal(UNREGISTERED)).toBe(UNREGISTERED);
    expect(operatorRefusal(undefined)).toBeUndefined();
    expect(operatorRefusal({ message: UNREGISTERED })).toBeUndefined();
  });
});
