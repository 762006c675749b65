import type { ImageGPTBackend, ModelArtifact } from '@imagegpt/core';
import { decodeOnnxModel, encodeOnnxModel } from '@imagegpt/core/onnx';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageGPTForCausalImageModeling } from './index.js';
import { createNodeBackend } from './node-backend.js';

// The runner's fallback from the fast decode graph, against what onnxruntime-node really throws:
// a runtime that lacks an operator of the fast graph decodes with the reference graph and says
// why; any other failure reaches the caller.
const node = createNodeBackend({ threads: 1 });
const models: ImageGPTForCausalImageModeling[] = [];
afterAll(async () => {
  await Promise.all(models.map((m) => m.dispose()));
});

const isFastGraph = (artifact: ModelArtifact) =>
  decodeOnnxModel(artifact.model).metadataProps?.some((p) => p.key === 'attention' && p.value === 'fast');

/** onnxruntime-node, with the fast graph's bytes changed by `edit` before the session is made. */
function editingFastGraph(edit: (artifact: ModelArtifact) => Uint8Array): ImageGPTBackend {
  return {
    name: 'onnxruntime-node (edited fast graph)',
    createSession: (artifact, options) =>
      node.createSession(isFastGraph(artifact) ? { ...artifact, model: edit(artifact) } : artifact, options),
  };
}

/** The fast graph as a build without the QuickGelu contrib op sees it: an operator it has never heard of. */
const withoutQuickGelu = editingFastGraph((artifact) => {
  const model = decodeOnnxModel(artifact.model);
  for (const n of model.graph.node) if (n.opType === 'QuickGelu') n.opType = 'NoSuchQuickGelu';
  return encodeOnnxModel(model);
});

const load = async (options: Parameters<typeof ImageGPTForCausalImageModeling.fromPretrained>[1]) => {
  const model = await ImageGPTForCausalImageModeling.fromPretrained(mnistCausalUrl, {
    threads: 1,
    ...options,
  });
  models.push(model);
  return model;
};

describe('fallback from the fast decode graph (onnxruntime-node)', () => {
  it('decodes with the reference graph when the runtime refuses an operator, and keeps the reason', async () => {
    const model = await load({ backend: withoutQuickGelu });
    expect(model.runner.decoder).toBe('reference');
    expect(model.runner.fallbacks).toEqual([
      {
        graph: 'fast',
        reason: expect.stringMatching(
          /com\.microsoft:NoSuchQuickGelu\(-1\) is not a registered function\/op/,
        ),
      },
    ]);
    const reference = await load({ decoder: 'reference' });
    expect(reference.runner.fallbacks).toEqual([]);
    const [a, b] = await Promise.all([
      model.generate({ maxLength: 12 }),
      reference.generate({ maxLength: 12 }),
    ]);
    expect(a.sequences).toEqual(b.sequences);
  });

  it('throws any other failure of the fast graph as onnxruntime reported it', async () => {
    const truncated = editingFastGraph((artifact) => artifact.model.subarray(0, 100));
    await expect(load({ backend: truncated })).rejects.toThrow(/protobuf parsing failed/);
  });
});
