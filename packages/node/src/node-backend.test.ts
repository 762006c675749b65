import { GraphBuilder } from '@imagegpt/core/graph';
import { OnnxDataType } from '@imagegpt/core/onnx';
import { describe, expect, it } from 'vitest';
import { createNodeBackend, NodeBackend } from './node-backend.js';

// y = x · w + 1 over a [2, 3] input and a [3, 2] weight, plus the int64 row count of x.
function tinyModel(options: Parameters<GraphBuilder['toArtifact']>[0] = {}) {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', OnnxDataType.FLOAT, ['batch', 3]);
  const w = g.addInitializer('w', [3, 2], Float32Array.of(1, 2, 3, 4, 5, 6));
  const v = g.addInitializer('v', [2, 2], Float32Array.of(10, 0, 0, 10));
  g.op('MatMul', [g.op('Add', [g.op('MatMul', [x, w]), g.floatConstant(1)]), v], {}, 'y');
  g.op('Shape', [x], { start: 0, end: 1 }, 'rows');
  g.output('y', OnnxDataType.FLOAT, ['batch', 2]);
  g.output('rows', OnnxDataType.INT64, [1]);
  return g.toArtifact(options);
}

const x = { type: 'float32', dims: [2, 3], data: Float32Array.of(1, 0, 0, 0, 1, -1) } as const;

describe('NodeBackend', () => {
  it('runs a model and converts tensors both ways', async () => {
    const backend = createNodeBackend({ threads: 1 });
    expect(backend).toBeInstanceOf(NodeBackend);
    expect(backend.name).toBe('onnxruntime-node');
    const session = await backend.createSession(tinyModel());
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y', 'rows']);
    const out = await session.run({ x });
    // x·w = [[1,2],[-2,-2]]; +1 = [[2,3],[-1,-1]]; ·10
    expect(out.y).toEqual({ type: 'float32', dims: [2, 2], data: Float32Array.of(20, 30, -10, -10) });
    expect(out.rows).toEqual({ type: 'int64', dims: [1], data: BigInt64Array.of(2n) });
    await session.dispose();
  });

  it('returns only the fetched outputs', async () => {
    const session = await createNodeBackend().createSession(tinyModel(), {
      graphOptimizationLevel: 'disabled',
      threads: 1,
    });
    expect(Object.keys(await session.run({ x }, ['rows']))).toEqual(['rows']);
    await session.dispose();
  });

  it('reports a feed whose data does not fit its dims', async () => {
    const session = await createNodeBackend().createSession(tinyModel());
    await expect(
      session.run({ x: { type: 'float32', dims: [2, 3], data: new Float32Array(5) } }),
    ).rejects.toThrow(/feed "x" has 5 values, dims \[2, 3\] need 6/);
    await session.dispose();
  });

  it('refuses to run after dispose', async () => {
    const session = await createNodeBackend().createSession(tinyModel());
    await session.dispose();
    await expect(session.run({ x })).rejects.toThrow(/disposed/);
    await session.dispose();
  });

  it('loads weights split over several external data files from memory', async () => {
    const artifact = tinyModel({ externalDataThreshold: 0, externalDataFileBytes: 16 });
    // Initializers under 1 KiB stay inline, as in onnx's own converter, so force a bigger one.
    expect(artifact.externalData).toBeUndefined();

    const g = new GraphBuilder('big');
    const x2 = g.input('x', OnnxDataType.FLOAT, [1, 512]);
    const a = g.addInitializer('a', [512, 1], new Float32Array(512).fill(0.5));
    const b = g.addInitializer(
      'b',
      [512],
      Float32Array.from({ length: 512 }, (_, i) => i),
    );
    g.op('Add', [g.op('MatMul', [x2, a]), g.op('ReduceSum', [b], { keepdims: 1 })], {}, 'y');
    g.output('y', OnnxDataType.FLOAT, [1, 1]);
    const split = g.toArtifact({ externalDataThreshold: 0, externalDataFileBytes: 2048 });
    expect(split.externalData?.map((f) => [f.path, f.data.byteLength])).toEqual([
      ['model.onnx.data', 2048],
      ['model.onnx.data.1', 2048],
    ]);
    const session = await createNodeBackend({ threads: 1 }).createSession(split);
    const out = await session.run({
      x: { type: 'float32', dims: [1, 512], data: new Float32Array(512).fill(2) },
    });
    expect(out.y?.data).toEqual(Float32Array.of(512 + (511 * 512) / 2));
    await session.dispose();
  });
});
