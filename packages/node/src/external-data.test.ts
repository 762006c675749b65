import { ImageGPTRunner } from '@imagegpt/core';
import { buildImageGPTGraph } from '@imagegpt/core/graph';
import { decodeOnnxModel } from '@imagegpt/core/onnx';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';

// Models over ~2 GB must keep their weights in ONNX external data; a threshold of 0 forces that on
// the tiny model, and onnxruntime-node must load it from memory and give the same logits.
describe('ONNX external data', () => {
  it('moves the weights out of the protobuf and onnxruntime loads them', async () => {
    const golden = goldenCase('tiny-causal');
    const checkpoint = golden.weights('safetensors');
    const inline = buildImageGPTGraph(golden.config, checkpoint, { head: 'causal' });
    const artifact = buildImageGPTGraph(golden.config, checkpoint, {
      head: 'causal',
      externalDataThreshold: 0,
    });
    expect(inline.externalData).toBeUndefined();
    expect(artifact.externalData?.map((f) => f.path)).toEqual(['model.onnx.data']);
    expect(artifact.model.byteLength).toBeLessThan(inline.model.byteLength / 4);

    const wte = decodeOnnxModel(artifact.model).graph.initializer.find(
      (t) => t.name === 'transformer.wte.weight',
    );
    expect(wte?.dataLocation).toBe(1);
    expect(wte?.rawData).toBeUndefined();
    const entries = Object.fromEntries((wte?.externalData ?? []).map((e) => [e.key, e.value]));
    expect(entries.location).toBe('model.onnx.data');
    expect(Number(entries.length)).toBe(17 * 32 * 4);
    expect(Number(entries.offset) % 4096).toBe(0);

    const runner = await ImageGPTRunner.create({
      backend: createNodeBackend({ threads: 2 }),
      config: golden.config,
      checkpoint,
      head: 'causal',
      externalDataThreshold: 0,
    });
    const out = await runner.forward(golden.rows('input_ids'));
    golden.expectClose('logits', out.logits, { label: 'logits (external data)' });
    await runner.dispose();
  });
});
