import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { goldenCases, sharedPath } from '@imagegpt/test-kit';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { readPytorchBin } from './pytorch-zip.js';
import { readSafetensors } from './safetensors.js';
import { type ExpectedWeight, validateWeights } from './validate.js';

/** Every reference model folder: the golden cases with weights and the trained MNIST models. */
const folders = ['golden', 'models'].flatMap((set) => {
  const root = sharedPath(set);
  return readdirSync(root)
    .filter((name) => existsSync(`${root}/${name}/model.safetensors`))
    .map((name) => ({ label: `${set}/${name}`, dir: `${root}/${name}` }));
});

/** The HF ImageGPT state dict for a config, as the golden README spells it out. */
function expectedWeights(config: Record<string, unknown>): ExpectedWeight[] {
  const c = config.n_embd as number;
  const inner = (config.n_inner as number | null) ?? 4 * c;
  const v = config.vocab_size as number;
  const layers = Array.from({ length: config.n_layer as number }, (_, l) => {
    const h = `transformer.h.${l}`;
    return [
      { name: `${h}.ln_1.weight`, shape: [c] },
      { name: `${h}.attn.c_attn.weight`, shape: [c, 3 * c] },
      { name: `${h}.attn.c_attn.bias`, shape: [3 * c] },
      { name: `${h}.attn.c_proj.weight`, shape: [c, c] },
      { name: `${h}.attn.c_proj.bias`, shape: [c] },
      { name: `${h}.ln_2.weight`, shape: [c] },
      { name: `${h}.mlp.c_fc.weight`, shape: [c, inner] },
      { name: `${h}.mlp.c_fc.bias`, shape: [inner] },
      { name: `${h}.mlp.c_proj.weight`, shape: [inner, c] },
      { name: `${h}.mlp.c_proj.bias`, shape: [c] },
    ];
  });
  const classifier = (config.architectures as string[])[0] === 'ImageGPTForImageClassification';
  const head = classifier
    ? { name: 'score.weight', shape: [Object.keys(config.id2label as object).length, c] }
    : { name: 'lm_head.weight', shape: [v - 1, c] };
  return [
    { name: 'transformer.wte.weight', shape: [v, c] },
    { name: 'transformer.wpe.weight', shape: [config.n_positions as number, c] },
    ...layers.flat(),
    { name: 'transformer.ln_f.weight', shape: [c] },
    head,
  ];
}

interface StateDictMeta {
  keys: string[];
  shapes: Record<string, number[]>;
  /** torch dtype per key; absent when every tensor is float32. */
  dtypes?: Record<string, string>;
}

const TORCH_TO_SAFETENSORS: Record<string, string> = { float32: 'F32', float16: 'F16', uint8: 'U8' };
// Older HF versions saved the attention buffers (causal tril, masked_bias) with the weights.
const ATTENTION_BUFFER = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;

describe('reference checkpoints', () => {
  it('finds every model case of the golden set and both trained models', () => {
    // The golden cases are found from their meta.json, so a new case cannot be missed here.
    const modelCases = goldenCases()
      .filter((c) => c.kind === 'model')
      .map((c) => `golden/${c.name}`);
    expect(modelCases.length).toBeGreaterThan(0);
    expect(folders.map((f) => f.label).sort()).toEqual(
      [...modelCases, 'models/igpt-mnist-16', 'models/igpt-mnist-16-classifier'].sort(),
    );
  });

  describe.each(folders)('$label', ({ dir }) => {
    const safetensors = readSafetensors(readFileSync(`${dir}/model.safetensors`), {
      source: `${dir}/model.safetensors`,
    });
    const bin = readPytorchBin(readFileSync(`${dir}/pytorch_model.bin`), {
      source: `${dir}/pytorch_model.bin`,
    });
    const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')) as Record<string, unknown>;
    const stateDict = existsSync(`${dir}/meta.json`)
      ? (JSON.parse(readFileSync(`${dir}/meta.json`, 'utf8')) as { state_dict: StateDictMeta }).state_dict
      : undefined;
    const dtypeOf = (name: string) => TORCH_TO_SAFETENSORS[stateDict?.dtypes?.[name] ?? 'float32'];

    it('holds exactly the HF ImageGPT parameters (and any attention buffers meta.json lists), in both formats', () => {
      const expected = expectedWeights(config);
      // Buffers are accepted only where the case says the checkpoint holds them.
      const buffers = new Set(stateDict?.keys.filter((k) => ATTENTION_BUFFER.test(k)) ?? []);
      const allowExtra = (name: string) => buffers.has(name);
      validateWeights(safetensors, expected, { allowExtra });
      validateWeights(bin, expected, { allowExtra });
      expect(safetensors.metadata).toEqual({ format: 'pt' });
      if (stateDict !== undefined) {
        expect(bin.names()).toEqual(stateDict.keys); // torch keeps the module order
        for (const name of stateDict.keys)
          expect(safetensors.get(name).shape).toEqual(stateDict.shapes[name]);
      }
    });

    it('gives identical names, dtypes, shapes and values from safetensors and pytorch_model.bin', () => {
      expect(bin.names().sort()).toEqual(safetensors.names().sort());
      for (const name of safetensors.names()) {
        const a = safetensors.get(name);
        const b = bin.get(name);
        expect(b.dtype, name).toBe(dtypeOf(name));
        expect(a.dtype, name).toBe(dtypeOf(name));
        expect(b.shape, name).toEqual(a.shape);
        if (ATTENTION_BUFFER.test(name)) {
          expect(b.bytes, name).toEqual(a.bytes);
          continue;
        }
        const x = safetensors.float32(name);
        const y = bin.float32(name);
        expect(y.length).toBe(safetensors.numElements(name));
        let differ = 0;
        for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) differ++;
        expect(differ, `${name}: elements that differ`).toBe(0);
        expect(
          x.some((value) => value !== 0),
          `${name} is all zeros`,
        ).toBe(true);
      }
    });
  });

  it('reports every mismatch against the wrong model in one error', () => {
    const dir = sharedPath('golden', 'tiny-causal');
    const ckpt: Checkpoint = readSafetensors(readFileSync(`${dir}/model.safetensors`), {
      source: 'tiny-causal/model.safetensors',
    });
    const config = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8')) as Record<string, unknown>;
    const wrong = expectedWeights({
      ...config,
      n_layer: 3,
      n_positions: 32,
      architectures: ['ImageGPTForImageClassification'],
      id2label: { 0: 'a', 1: 'b' },
    });
    let error: unknown;
    try {
      validateWeights(ckpt, wrong);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    const { details, message, file } = error as CheckpointError;
    expect(file).toBe('tiny-causal/model.safetensors');
    expect(message).toMatch(
      /^tiny-causal\/model\.safetensors: weights do not match the model: 11 missing, 1 wrongly shaped, 1 unexpected\n/,
    );
    expect(details).toContain('missing: score.weight (expected [2, 32])');
    expect(details).toContain('missing: transformer.h.2.attn.c_attn.weight (expected [32, 96])');
    expect(details).toContain('wrong shape: transformer.wpe.weight is [64, 32], expected [32, 32]');
    expect(details).toContain('unexpected: lm_head.weight [16, 32]');
    expect(details).toHaveLength(13);
    expect(() =>
      validateWeights(ckpt, expectedWeights(config).slice(1), {
        allowExtra: (n) => n === 'transformer.wte.weight',
      }),
    ).not.toThrow();
  });
});
