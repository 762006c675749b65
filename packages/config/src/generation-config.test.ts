import { existsSync, readFileSync } from 'node:fs';
import { goldenCases } from '@imagegpt/test-kit';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { GenerationConfig } from './generation-config.js';
import { ImageGPTConfig } from './imagegpt-config.js';
import { SAVED_TRANSFORMERS_VERSION } from './saved-version.js';

/** Causal cases whose folder HF saved with its generation_config.json (tiny-old-checkpoint predates the file). */
const causalCases = goldenCases().filter((c) => existsSync(`${c.dir}/generation_config.json`));
const version = (text: string) =>
  text.replace(/"transformers_version": "[^"]*"/, '"transformers_version": "?"');

describe('GenerationConfig', () => {
  it('the golden set has causal cases with a generation_config.json', () => {
    expect(causalCases.length).toBeGreaterThanOrEqual(4);
  });

  it.each(causalCases.map((c) => c.name))('%s: the file HF wrote reads and writes back unchanged', (name) => {
    const dir = causalCases.find((c) => c.name === name)!.dir;
    const text = readFileSync(`${dir}/generation_config.json`, 'utf8');
    const generation = GenerationConfig.parse(text, 'generation_config.json');
    expect(generation.fromModelConfig).toBe(true);
    expect(generation.defaults()).toEqual({});
    expect(version(generation.toJSONString())).toBe(version(text));
    // What HF makes from the model's config.json when the folder has no generation_config.json.
    const config = ImageGPTConfig.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    expect(version(GenerationConfig.fromModelConfig(config).toJSONString())).toBe(version(text));
  });

  it('gives the settings a file sets as generate() options, and only those', () => {
    const generation = GenerationConfig.fromJSON({
      do_sample: true,
      top_k: 40,
      temperature: 0.8,
      top_p: null,
      max_new_tokens: 32,
      num_beams: 1,
      transformers_version: '4.31.0',
    });
    expect(generation.defaults()).toEqual({
      doSample: true,
      topK: 40,
      temperature: 0.8,
      topP: null,
      maxNewTokens: 32,
    });
    expect(GenerationConfig.fromJSON({ max_length: 65, num_return_sequences: 2 }).defaults()).toEqual({
      maxLength: 65,
      numReturnSequences: 2,
    });
  });

  it("writes what HF's save_pretrained writes: values off their default, Python floats", () => {
    const text = GenerationConfig.fromJSON({
      do_sample: true,
      temperature: 1,
      top_p: 0.9,
      num_beams: 1,
      foo: [1],
    }).toJSONString();
    expect(text).toBe(
      `{\n  "do_sample": true,\n  "foo": [\n    1\n  ],\n  "top_p": 0.9,\n  "transformers_version": "${SAVED_TRANSFORMERS_VERSION}"\n}\n`,
    );
    expect(GenerationConfig.fromJSON({ temperature: 2 }).toJSONString()).toContain('"temperature": 2.0');
  });

  it('takes the generation keys of a config.json that sets them', () => {
    const config = ImageGPTConfig.fromJSON({ do_sample: true, top_k: 10, custom: 1 });
    const generation = GenerationConfig.fromModelConfig(config);
    expect(generation.defaults()).toEqual({ doSample: true, topK: 10 });
    expect(generation.toJSON()).toEqual({
      _from_model_config: true,
      do_sample: true,
      top_k: 10,
      transformers_version: SAVED_TRANSFORMERS_VERSION,
    });
  });

  it.each([
    [{ do_sample: 'yes' }, 'do_sample'],
    [{ temperature: 0 }, 'temperature'],
    [{ top_k: 1.5 }, 'top_k'],
    [{ top_p: 2 }, 'top_p'],
    [{ max_length: 0 }, 'max_length'],
    [{ max_new_tokens: -1 }, 'max_new_tokens'],
    [{ num_return_sequences: 0 }, 'num_return_sequences'],
    [{ _from_model_config: 1 }, '_from_model_config'],
  ])('refuses %j, naming %s and the file', (json, field) => {
    const error = (() => {
      try {
        GenerationConfig.fromJSON(json, 'm/generation_config.json');
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.field).toBe(field);
    expect(error.message).toContain('m/generation_config.json');
  });

  it('refuses text that is not a JSON object', () => {
    expect(() => GenerationConfig.parse('[1]', 'g.json')).toThrow(ConfigError);
    expect(() => GenerationConfig.parse('{', 'g.json')).toThrow(/g\.json/);
  });
});
