import { GraphBuilder } from '@imagegpt/core/graph';
import { OnnxDataType } from '@imagegpt/core/onnx';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** y = x + 1: the smallest model a session can be made of. */
function plusOne() {
  const g = new GraphBuilder('plus-one');
  g.op('Add', [g.input('x', OnnxDataType.FLOAT, [1]), g.floatConstant(1)], {}, 'y');
  g.output('y', OnnxDataType.FLOAT, [1]);
  return g.toArtifact();
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('onnxruntime telemetry', () => {
  it('is left alone on import and turned off when the first session is made', async () => {
    vi.stubEnv('ORT_DISABLE_TELEMETRY', undefined);
    vi.resetModules();
    const { createNodeBackend } = await import('./index.js');
    const backend = createNodeBackend({ threads: 1 });
    expect(process.env.ORT_DISABLE_TELEMETRY).toBeUndefined();
    await (await backend.createSession(plusOne())).dispose();
    expect(process.env.ORT_DISABLE_TELEMETRY).toBe('1');
  });

  it('keeps a value the user set', async () => {
    vi.stubEnv('ORT_DISABLE_TELEMETRY', '0');
    const { createNodeBackend } = await import('./index.js');
    await (await createNodeBackend({ threads: 1 }).createSession(plusOne())).dispose();
    expect(process.env.ORT_DISABLE_TELEMETRY).toBe('0');
  });
});
