import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '@imagegpt/core';
import { HeadsError } from '@imagegpt/heads';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { goldenCases } from '@imagegpt/test-kit';
import { goldenCase } from '@imagegpt/test-kit/golden';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createNodeBackend,
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
  ImageGPTModel,
  NodeFileSink,
} from './index.js';

// savePretrained writes the folder HF's save_pretrained writes: checked against the golden folders'
// own files (which HF wrote), and by loading what was written.
const backend = createNodeBackend({ threads: 2 });
let out: string;

beforeEach(async () => {
  out = await mkdtemp(join(tmpdir(), 'igpt-save-'));
});
afterEach(async () => {
  await rm(out, { recursive: true, force: true });
});

const HEADS = {
  ImageGPTForCausalImageModeling,
  ImageGPTForImageClassification,
} as const;
const modelCases = goldenCases().filter((c) => c.kind === 'model');
const text = (path: string) => readFile(path, 'utf8');
/** A file HF wrote, less the line a writer may differ in. */
const withoutVersion = (s: string) => s.replace(/^ {2}"transformers_version": .*\n/m, '');
const header = (bytes: Uint8Array) => {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
};

describe('savePretrained writes what HF wrote for every golden model case', () => {
  it('has model cases to check', () => expect(modelCases.length).toBeGreaterThanOrEqual(8));

  it.each(modelCases.map((c) => c.name))('%s', async (name) => {
    const golden = goldenCase(name);
    const cls = HEADS[golden.meta.head as keyof typeof HEADS];
    const model = await cls.fromPretrained(golden.dir, { backend });
    const causal = cls === ImageGPTForCausalImageModeling;
    try {
      const written = await model.savePretrained(out);
      const files = causal
        ? ['config.json', 'generation_config.json', 'model.safetensors']
        : ['config.json', 'model.safetensors'];
      expect([...written].sort()).toEqual(files);
      expect((await readdir(out)).sort()).toEqual(files);

      // config.json: HF's text, except the version and (for a file written without one) torch_dtype.
      const reference = await text(golden.path('config.json'));
      const saved = await text(join(out, 'config.json'));
      const dtype = JSON.parse(reference).torch_dtype === undefined;
      expect(withoutVersion(dtype ? saved.replace(/^ {2}"torch_dtype": "float32",\n/m, '') : saved)).toBe(
        withoutVersion(reference),
      );
      if (causal) {
        // HF's own file where the folder has one; tiny-old-checkpoint's predates the file, and HF
        // makes the same one from config.json.
        const generation = await text(join(out, 'generation_config.json'));
        const version = (s: string) =>
          s.replace(/"transformers_version": "[^"]*"/, '"transformers_version": "?"');
        expect(version(generation)).toBe(
          '{\n  "_from_model_config": true,\n  "transformers_version": "?"\n}\n',
        );
        if (existsSync(golden.dir + '/generation_config.json'))
          expect(version(generation)).toBe(version(await text(golden.path('generation_config.json'))));
      }

      // model.safetensors: HF's key names in name order, float32, {"format": "pt"}.
      const bytes = new Uint8Array(await readFile(join(out, 'model.safetensors')));
      const stateDict = header(bytes);
      const keys = (golden.meta as { state_dict: { keys: string[] } }).state_dict.keys.filter(
        (k) => !/\.attn\.(bias|masked_bias)$/.test(k),
      );
      expect(Object.keys(stateDict)).toEqual(['__metadata__', ...[...keys].sort()]);
      expect(stateDict.__metadata__).toEqual({ format: 'pt' });
      const weights = readSafetensors(bytes);
      const source = golden.weights();
      for (const key of keys) {
        expect(weights.get(key).dtype).toBe('F32');
        expect(weights.float32(key)).toEqual(source.float32(key));
      }
      // Where HF itself wrote float32 the file is the same, byte for byte.
      if (source.get(keys[0]!).dtype === 'F32')
        expect(Buffer.compare(bytes, Buffer.from(golden.bytes('model.safetensors')))).toBe(0);

      // Load → save → load: the same outputs.
      const again = await cls.fromPretrained(out, { backend });
      try {
        const ids = golden.rows(golden.io.has('input_ids') ? 'input_ids' : 'greedy_prefix_prompt');
        const [a, b] = await Promise.all([model.forward(ids), again.forward(ids)]);
        expect(b.logits.data).toEqual(a.logits.data);
      } finally {
        await again.dispose();
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('savePretrained', () => {
  const mnist = fileURLToPath(mnistCausalUrl);

  it('saves a bare ImageGPTModel without the transformer. prefix, and loads it back', async () => {
    const model = await ImageGPTModel.fromPretrained(mnist, { backend });
    try {
      expect(await model.savePretrained(new NodeFileSink(out))).toEqual([
        'model.safetensors',
        'preprocessor_config.json',
        'config.json',
      ]);
      const names = Object.keys(header(new Uint8Array(await readFile(join(out, 'model.safetensors')))));
      expect(names).toContain('wte.weight');
      expect(names).toContain('h.3.mlp.c_proj.weight');
      expect(names.some((n) => n.startsWith('transformer.') || n === 'lm_head.weight')).toBe(false);
      expect(JSON.parse(await text(join(out, 'config.json'))).architectures).toEqual(['ImageGPTModel']);
      // The processor's file as it came.
      expect(await text(join(out, 'preprocessor_config.json'))).toBe(
        await text(join(mnist, 'preprocessor_config.json')),
      );
      const again = await ImageGPTModel.fromPretrained(out, { backend });
      try {
        const ids = [[16, 3, 5, 0, 15]];
        expect((await again.forward(ids)).lastHiddenState.data).toEqual(
          (await model.forward(ids)).lastHiddenState.data,
        );
      } finally {
        await again.dispose();
      }
    } finally {
      await model.dispose();
    }
  });

  it('writes a causal folder that fromPretrained reads back, generation_config.json included', async () => {
    const model = await ImageGPTForCausalImageModeling.fromPretrained(mnist, { backend });
    try {
      await model.savePretrained(out);
      for (const file of ['generation_config.json', 'preprocessor_config.json'])
        expect(await text(join(out, file))).toBe(await text(join(mnist, file)));
      const again = await ImageGPTForCausalImageModeling.fromPretrained(out, { backend });
      try {
        const options = { doSample: true, seed: 5, maxLength: 40 } as const;
        expect((await again.generate(options)).sequences).toEqual((await model.generate(options)).sequences);
      } finally {
        await again.dispose();
      }
    } finally {
      await model.dispose();
    }
  });

  it('refuses a folder with any of its files without force, writing none; force replaces them', async () => {
    const model = await ImageGPTModel.fromPretrained(mnist, { backend });
    try {
      await writeFile(join(out, 'config.json'), 'old');
      await expect(model.savePretrained(out)).rejects.toThrow(HeadsError);
      await expect(model.savePretrained(out)).rejects.toThrow(/config\.json already exists/);
      expect(await readdir(out)).toEqual(['config.json']);
      await model.savePretrained(out, { force: true });
      expect((await readdir(out)).sort()).toEqual([
        'config.json',
        'model.safetensors',
        'preprocessor_config.json',
      ]);
      expect(JSON.parse(await text(join(out, 'config.json'))).n_layer).toBe(4);
    } finally {
      await model.dispose();
    }
  });

  it('saves a head made with fromParts from the checkpoint it was given', async () => {
    const golden = goldenCase('tiny-classify');
    const model = await ImageGPTForImageClassification.fromParts({
      config: golden.config,
      checkpoint: golden.weights('bin'),
      backend,
    });
    try {
      await model.savePretrained(out);
      expect(
        Buffer.compare(
          await readFile(join(out, 'model.safetensors')),
          Buffer.from(golden.bytes('model.safetensors')),
        ),
      ).toBe(0);
    } finally {
      await model.dispose();
    }
  });
});
