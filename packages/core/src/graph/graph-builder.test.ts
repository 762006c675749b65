import { describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../onnx/onnx-codec.js';
import { GraphBuilder } from './graph-builder.js';

describe('GraphBuilder', () => {
  it('names nodes by scope, shares constants and emits attribute kinds', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 1, ['batch', 4]);
    const y = g.scoped('h.0', () => g.op('Mul', [x, g.floatConstant(2)]));
    g.op('Add', [y, g.floatConstant(2)], {}, 'out');
    g.op('Transpose', ['out'], { perm: [1, 0] }, 'outT');
    g.output('outT', 1, [4, 'batch']);
    const model = decodeOnnxModel(g.toArtifact().model);
    expect(y).toBe('h.0/Mul_0:0');
    expect(model.graph.initializer).toHaveLength(1); // one shared constant 2
    expect(model.graph.node.map((n) => n.name)).toEqual(['h.0/Mul_0', 'Add_1', 'Transpose_2']);
    expect(model.graph.node[2]?.attribute).toMatchObject([{ name: 'perm', type: 7, ints: [1, 0] }]);
    expect(model.opsetImport[0]?.version).toBe(17);
  });

  it('packs external data into aligned, size-capped files', () => {
    const g = new GraphBuilder('t');
    g.addInitializer('a', [1000], new Float32Array(1000).fill(1)); // 4000 bytes
    g.addInitializer('b', [300], new Float32Array(300).fill(2)); // 1200 bytes
    g.addInitializer('c', [3000], new Float32Array(3000).fill(3)); // 12000 bytes, over the cap: its own file
    g.addInitializer('small', [2], Float32Array.of(1, 2)); // stays inline
    const { model, externalData } = g.toArtifact({
      externalDataThreshold: 100,
      externalDataFileBytes: 8192,
      externalDataPath: 'w.bin',
    });
    expect(externalData?.map((f) => [f.path, f.data.byteLength])).toEqual([
      ['w.bin', 4096 + 1200],
      ['w.bin.1', 12000],
    ]);
    const where = Object.fromEntries(
      decodeOnnxModel(model).graph.initializer.map((t) => [
        t.name,
        Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value])),
      ]),
    );
    expect(where).toEqual({
      a: { location: 'w.bin', offset: '0', length: '4000' },
      b: { location: 'w.bin', offset: '4096', length: '1200' },
      c: { location: 'w.bin.1', offset: '0', length: '12000' },
      small: {},
    });
    const file0 = externalData?.[0]?.data as Uint8Array;
    expect(new Float32Array(file0.slice(4096).buffer)[0]).toBe(2);
  });

  it('hands each weight over as its own in-memory buffer with weights: buffers, copying none', () => {
    const g = new GraphBuilder('t');
    const a = new Float32Array(1000).fill(1);
    const b = new Float32Array(300).fill(2);
    g.addInitializer('a', [1000], a);
    g.addInitializer('b', [300], b);
    g.addInitializer('small', [2], Float32Array.of(1, 2)); // under 1 KiB: stays inline
    const { model, externalData } = g.toArtifact({ weights: 'buffers', externalDataThreshold: 1e12 });
    expect(externalData?.map((f) => [f.path, f.data.byteLength])).toEqual([
      ['weight-0.bin', 4000],
      ['weight-1.bin', 1200],
    ]);
    // Views of the builder's arrays, not copies.
    expect(externalData?.[0]?.data.buffer).toBe(a.buffer);
    expect(externalData?.[1]?.data.buffer).toBe(b.buffer);
    const where = Object.fromEntries(
      decodeOnnxModel(model).graph.initializer.map((t) => [
        t.name,
        Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value])),
      ]),
    );
    expect(where).toEqual({
      a: { location: 'weight-0.bin', offset: '0', length: '4000' },
      b: { location: 'weight-1.bin', offset: '0', length: '1200' },
      small: {},
    });
  });

  it('stays inline under the threshold and refuses duplicate or misshaped initializers', () => {
    const g = new GraphBuilder('t');
    g.addInitializer('a', [1000], new Float32Array(1000));
    expect(g.toArtifact({ externalDataThreshold: 4000 }).externalData).toBeUndefined();
    expect(() => g.addInitializer('a', [1], new Float32Array(1))).toThrow(/added twice/);
    expect(() => g.addInitializer('b', [2, 2], new Float32Array(3))).toThrow(
      /3 elements, dims \[2,2\] need 4/,
    );
  });
});

/** An in-memory stand-in for a file on disk, counting reads; `replaced` makes it fail its check. */
function fakeFile(path: string, size: number) {
  const file = {
    path,
    size,
    reads: 0,
    replaced: false,
    readSync(offset: number, length: number) {
      file.reads++;
      return new Uint8Array(length).fill(offset % 251);
    },
    check() {
      if (file.replaced) throw new Error(`${path} changed`);
    },
  };
  return file;
}

describe("GraphBuilder weights: 'files'", () => {
  const build = (file: ReturnType<typeof fakeFile>) => {
    const g = new GraphBuilder('t');
    g.addFileInitializer('w', [256, 4], { file, offset: 128 }, () => file.readSync(128, 4096));
    g.addInitializer('derived', [2], Float32Array.of(1, 2));
    return g;
  };

  it('leaves file weights in their file, embeds the rest and names the folder, reading nothing', () => {
    const file = fakeFile('/models/igpt/model.safetensors', 8192);
    const artifact = build(file).toArtifact({ weights: 'files' });
    expect(artifact.externalDataFolder).toBe('/models/igpt');
    expect(artifact.externalData).toBeUndefined();
    const [w, derived] = decodeOnnxModel(artifact.model).graph.initializer;
    expect(w?.externalData).toEqual([
      { key: 'location', value: 'model.safetensors' },
      { key: 'offset', value: '128' },
      { key: 'length', value: '4096' },
    ]);
    const raw = derived?.rawData ?? new Uint8Array();
    expect(Array.from(new Float32Array(raw.slice().buffer))).toEqual([1, 2]);
    expect(file.reads).toBe(0);
  });

  it('reads file weights once when another placement needs their bytes', () => {
    const file = fakeFile('C:\\models\\model.safetensors', 8192);
    const g = build(file);
    expect(g.toArtifact({ weights: 'buffers' }).externalData?.[0]?.data[0]).toBe(128);
    g.toArtifact({ weights: 'embedded' });
    expect(file.reads).toBe(1);
  });

  it('hands the bytes over in memory once the file changed, reading them only if not read yet', () => {
    const file = fakeFile('/m/model.safetensors', 8192);
    file.replaced = true;
    const artifact = build(file).toArtifact({ weights: 'files' });
    expect(artifact.externalDataFolder).toBeUndefined();
    expect(artifact.externalData?.map((e) => e.path)).toEqual(['weight-0.bin']);
    expect(file.reads).toBe(1);
  });

  it("is 'buffers' when no weight lies in a file", () => {
    const g = new GraphBuilder('t');
    g.addInitializer('w', [1024], new Float32Array(1024));
    const artifact = g.toArtifact({ weights: 'files' });
    expect(artifact.externalDataFolder).toBeUndefined();
    expect(artifact.externalData?.map((e) => e.data.byteLength)).toEqual([4096]);
  });
});
