import { cpSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@imagegpt/core';
import { goldenCases, goldenDir } from '@imagegpt/test-kit';
import { describe, expect, it } from 'vitest';
import { igpt, REPO, tempDir } from './test-utils.js';

const GOLDEN = goldenDir();

interface Report {
  case: string;
  kind: string;
  weights: string | null;
  pass: boolean;
  outputs: { name: string; maxAbsErr: number | null; mismatches: number | null; pass: boolean }[];
}

describe('pnpm igpt conformance (CONFORMANCE.md contract)', () => {
  // Every case of the golden set, found from its meta.json; model cases with both weight files.
  for (const { name, dir, kind, pending } of goldenCases()) {
    for (const weights of kind === 'model' ? ['safetensors', 'bin'] : [undefined]) {
      const label = `${name}${weights === undefined ? '' : ` with ${weights}`}`;
      const args = ['conformance', dir, ...(weights === undefined ? [] : ['--weights', weights]), '--json'];
      if (pending !== undefined) {
        // Pending: asserted to fail, so a case that starts passing has to leave the pending list.
        it(`${label} still fails (pending: ${pending})`, () => {
          const run = igpt(args);
          expect(run.code, run.stdout.slice(0, 500) + run.stderr).not.toBe(0);
        });
        continue;
      }
      it(`${label} passes`, () => {
        const run = igpt(args);
        const report = JSON.parse(run.stdout) as Report;
        const failed = report.outputs.filter((o) => !o.pass).map((o) => o.name);
        expect(failed).toEqual([]);
        expect(report).toMatchObject({ case: name, kind, weights: weights ?? null, pass: true });
        expect(report.outputs.length).toBeGreaterThan(0);
        expect(run.code).toBe(0);
      });
    }
  }

  it('image-processor compares every output exactly', () => {
    const run = igpt(['conformance', join(GOLDEN, 'image-processor'), '--json']);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.kind).toBe('processor');
    expect(report.outputs.map((o) => o.name).sort()).toEqual([
      'clusters512_input_ids',
      'clusters512_pixels',
      'clusters512_resized_uint8',
      'input_ids',
      'pixels',
      'resized_uint8',
    ]);
    expect(report.outputs.every((o) => o.pass && (o.mismatches ?? 0) === 0)).toBe(true);
    expect(run.code).toBe(0);
  });

  it('prints one line per output without --json', () => {
    const run = igpt(['conformance', join(GOLDEN, 'tiny-classify')]);
    expect(run.code).toBe(0);
    for (const name of ['logits', 'pooled', 'loss', 'last_hidden_state'])
      expect(run.stdout).toMatch(new RegExp(`pass\\s+${name}\\b`));
  });

  it('fails (exit 1) on an output it does not know how to compute', () => {
    const dir = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-classify'), dir, { recursive: true });
    const io = readSafetensors(readFileSync(join(dir, 'io.safetensors')));
    const tensors = io.names().map((name) => {
      const t = io.get(name);
      return { name, dtype: t.dtype, shape: [...t.shape], data: t.bytes };
    });
    tensors.push({ name: 'mystery_output', dtype: 'F32', shape: [2], data: new Uint8Array(8) });
    writeFileSync(join(dir, 'io.safetensors'), writeSafetensors(tensors));
    const run = igpt(['conformance', dir, '--json']);
    const report = JSON.parse(run.stdout) as Report;
    expect(run.code).toBe(1);
    expect(report.pass).toBe(false);
    expect(report.outputs.find((o) => o.name === 'mystery_output')).toMatchObject({ pass: false });
    expect(report.outputs.filter((o) => o.name !== 'mystery_output').every((o) => o.pass)).toBe(true);
  });

  it('computes attentions of the layers the model has; a layer it lacks is unknown and fails', () => {
    const dir = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-attentions'), dir, { recursive: true });
    const io = readSafetensors(readFileSync(join(dir, 'io.safetensors')));
    const tensors = io.names().map((name) => {
      const t = io.get(name);
      return { name, dtype: t.dtype, shape: [...t.shape], data: t.bytes };
    });
    const layer1 = tensors.find((t) => t.name === 'attentions.1')!;
    tensors.push({ ...layer1, name: 'attentions.2' });
    writeFileSync(join(dir, 'io.safetensors'), writeSafetensors(tensors));
    const run = igpt(['conformance', dir, '--json']);
    const report = JSON.parse(run.stdout) as Report;
    expect(run.code).toBe(1);
    expect(report.outputs.find((o) => o.name === 'attentions.2')).toMatchObject({ pass: false });
    const known = report.outputs.filter((o) => o.name !== 'attentions.2');
    expect(known.map((o) => o.name)).toEqual([
      'attentions.0',
      'attentions.1',
      'logits',
      'split_attentions_b.0',
      'split_attentions_b.1',
      'split_logits_b',
    ]);
    expect(known.every((o) => o.pass)).toBe(true);
  });

  it("takes meta.json's problem_type over HF's rule, and refuses one HF does not know (exit 2)", () => {
    const dir = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-classify-multilabel'), dir, { recursive: true });
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    // The same logits under a mean squared error: the loss no longer matches the BCE reference.
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, problem_type: 'regression' }));
    const regression = JSON.parse(igpt(['conformance', dir, '--json']).stdout) as Report;
    expect(regression.outputs.find((o) => o.name === 'loss')).toMatchObject({ pass: false });
    expect(regression.outputs.find((o) => o.name === 'logits')).toMatchObject({ pass: true });
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, problem_type: 'ranking' }));
    const run = igpt(['conformance', dir]);
    expect([run.code, run.stderr]).toEqual([2, expect.stringContaining('problem_type is "ranking"')]);
  });

  it('fails (exit 1) when a reference value is off', () => {
    const dir = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-classify'), dir, { recursive: true });
    const io = readSafetensors(readFileSync(join(dir, 'io.safetensors')));
    const tensors = io.names().map((name) => {
      const t = io.get(name);
      const data =
        name === 'pooled' ? Float32Array.from(io.float32(name), (v, i) => (i === 5 ? v + 1e-3 : v)) : t.bytes;
      return { name, dtype: t.dtype, shape: [...t.shape], data };
    });
    writeFileSync(join(dir, 'io.safetensors'), writeSafetensors(tensors));
    const run = igpt(['conformance', dir, '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.outputs.find((o) => o.name === 'pooled')).toMatchObject({ pass: false });
  });

  it('accepts a case whose weights are an index and its shards, for either --weights value', () => {
    const dir = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-causal'), dir, { recursive: true });
    // safetensors: two shards and model.safetensors.index.json in place of model.safetensors.
    const whole = readSafetensors(readFileSync(join(dir, 'model.safetensors')), {
      source: 'model.safetensors',
    });
    const names = whole.names();
    const shards = [names.slice(0, names.length >> 1), names.slice(names.length >> 1)];
    const weightMap: Record<string, string> = {};
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const tensors = part.map((n) => ({ ...whole.get(n), data: whole.get(n).bytes }));
      writeFileSync(join(dir, file), writeSafetensors(tensors, { format: 'pt' }));
      for (const n of part) weightMap[n] = file;
    });
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    rmSync(join(dir, 'model.safetensors'));
    // bin: the whole state dict as the one shard of pytorch_model.bin.index.json.
    renameSync(join(dir, 'pytorch_model.bin'), join(dir, 'pytorch_model-00001-of-00001.bin'));
    const binMap = Object.fromEntries(names.map((n) => [n, 'pytorch_model-00001-of-00001.bin']));
    writeFileSync(
      join(dir, 'pytorch_model.bin.index.json'),
      JSON.stringify({ metadata: {}, weight_map: binMap }),
    );
    for (const weights of ['safetensors', 'bin']) {
      const run = igpt(['conformance', dir, '--weights', weights, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ weights, pass: true });
    }
  });

  it('exits 2 on a folder that is not a case', () => {
    expect(igpt(['conformance', join(REPO, 'packages')]).code).toBe(2);
    expect(igpt(['conformance', '/no/such/case']).code).toBe(2);
    const noWeights = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-causal'), noWeights, {
      recursive: true,
      filter: (src) => !src.endsWith('.bin'),
    });
    const run = igpt(['conformance', noWeights, '--weights', 'bin']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pytorch_model.bin');
    writeFileSync(join(noWeights, 'meta.json'), '{ not json');
    expect(igpt(['conformance', noWeights]).code).toBe(2);
  });

  it('exits 2 on a case it cannot read: weights that do not fit, a broken processor entry, a missing image', () => {
    const wrongShape = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'tiny-causal'), wrongShape, { recursive: true });
    const config = JSON.parse(readFileSync(join(wrongShape, 'config.json'), 'utf8'));
    writeFileSync(
      join(wrongShape, 'config.json'),
      JSON.stringify({ ...config, n_layer: config.n_layer + 1 }),
    );
    const run = igpt(['conformance', wrongShape]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/model\.safetensors: .*missing/);

    const processor = join(tempDir(), 'case');
    cpSync(join(GOLDEN, 'image-processor'), processor, { recursive: true });
    const meta = JSON.parse(readFileSync(join(processor, 'meta.json'), 'utf8'));
    const [first, ...rest] = meta.processors;
    writeFileSync(
      join(processor, 'meta.json'),
      JSON.stringify({ ...meta, processors: [{ dir: first.dir }, ...rest] }),
    );
    const noImages = igpt(['conformance', processor]);
    expect([noImages.code, noImages.stderr]).toEqual([
      2,
      expect.stringMatching(/needs a non-empty images\[\]/),
    ]);

    writeFileSync(join(processor, 'meta.json'), JSON.stringify(meta));
    rmSync(join(processor, first.images[0].file));
    const missing = igpt(['conformance', processor]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('cannot read the image')]);
  });
});
