import { readFile } from 'node:fs/promises';
import { runConformance } from '@imagegpt/heads';
import { goldenCaseDir } from '@imagegpt/test-kit';
import { folderSource } from '@imagegpt/test-kit/files';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { decodePng, hasPngSignature } from './png-decode.js';
import { createWebBackend } from './web-backend.js';

describe('decodePng', () => {
  it("gives Pillow's values on the golden image-processor case (RGB, L and RGBA files)", async () => {
    const report = await runConformance(folderSource(goldenCaseDir('image-processor')), {
      backend: createWebBackend(),
      decodeImage: async (bytes, name) => decodePng(bytes, { source: name }),
    });
    expect(report.outputs.filter((o) => !o.pass)).toEqual([]);
    expect(report.outputs.map((o) => o.name)).toContain('resized_uint8');
  });

  it('keeps straight (not premultiplied) alpha', async () => {
    const bytes = await readFile(`${goldenCaseDir('image-processor')}/img5_6x10_RGBA.png`);
    const image = decodePng(new Uint8Array(bytes));
    expect(image).toMatchObject({ width: 6, height: 10, channels: 4 });
    // First pixel has alpha 44; premultiplying would pull its colour towards 0.
    expect(image.data[3]).toBe(44);
  });

  it('reduces 16-bit samples to their high byte and scales 1/2/4-bit grey to 0..255', () => {
    const wide = decodePng(
      encode({
        width: 2,
        height: 1,
        channels: 3,
        depth: 16,
        data: new Uint16Array([0xffff, 0x1234, 0x00ff, 0x8000, 0x7fff, 0]),
      }),
    );
    expect([...wide.data]).toEqual([0xff, 0x12, 0x00, 0x80, 0x7f, 0]);
    const one = decodePng(
      encode({
        width: 10,
        height: 2,
        channels: 1,
        depth: 1,
        data: new Uint8Array([0b10100000, 0b01000000, 0b01010101, 0b11000000]),
      }),
    );
    expect([...one.data]).toEqual([
      255, 0, 255, 0, 0, 0, 0, 0, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 255, 255,
    ]);
    const four = decodePng(
      encode({ width: 3, height: 1, channels: 1, depth: 4, data: new Uint8Array([0x0f, 0x80]) }),
    );
    expect([...four.data]).toEqual([0, 255, 136]);
  });

  it('expands grey+alpha to RGBA and refuses junk naming the source', () => {
    const la = decodePng(
      encode({ width: 1, height: 1, channels: 2, depth: 8, data: new Uint8Array([9, 200]) }),
    );
    expect(la).toMatchObject({ channels: 4 });
    expect([...la.data]).toEqual([9, 9, 9, 200]);
    expect(hasPngSignature(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(() => decodePng(new Uint8Array([0x89, 0x50, 1, 2]), { source: 'x.png' })).toThrow(
      /^x\.png: not a readable PNG/,
    );
  });
});
