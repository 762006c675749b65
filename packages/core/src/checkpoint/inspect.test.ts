import { ImageGPTConfig } from '@imagegpt/config';
import { goldenCaseDir } from '@imagegpt/test-kit';
import { folderSource } from '@imagegpt/test-kit/files';
import { describe, expect, it } from 'vitest';
import { countImageGPTParameters } from '../graph/expected-weights.js';
import type { FileReadOptions, FileSource } from '../io/file-source.js';
import { CheckpointError } from './errors.js';
import { inspectCheckpoint } from './inspect.js';
import { loadCheckpoint } from './load.js';
import { writeSafetensors } from './safetensors.js';

/** A folder source that counts the bytes it hands out, whole or by range. */
function counting(files: FileSource & Required<Pick<FileSource, 'size' | 'readRange'>>) {
  const counted = { bytes: 0 };
  const source: FileSource = {
    location: files.location,
    exists: (path) => files.exists(path),
    read: async (path, onProgress, options?: FileReadOptions) => {
      const bytes = await files.read(path, onProgress, options);
      counted.bytes += bytes.length;
      return bytes;
    },
    size: (path) => files.size(path),
    readRange: async (path, offset, length) => {
      counted.bytes += length;
      return files.readRange(path, offset, length);
    },
  };
  return { source, counted };
}

describe('inspectCheckpoint', () => {
  it('lists what loadCheckpoint loads, in both formats, reading only the safetensors header', async () => {
    const dir = goldenCaseDir('tiny-causal');
    const files = folderSource(dir);
    const loaded = await loadCheckpoint(files);
    const config = ImageGPTConfig.parse(new TextDecoder().decode(await files.read('config.json')));
    for (const prefer of ['safetensors', 'bin'] as const) {
      const { source, counted } = counting(files);
      const info = await inspectCheckpoint(source, { prefer });
      expect(info.format).toBe(prefer);
      expect(info.files).toEqual([prefer === 'bin' ? 'pytorch_model.bin' : 'model.safetensors']);
      expect(info.tensors.map((t) => [t.name, t.dtype, t.shape]).sort()).toEqual(
        loaded
          .names()
          .map((name) => [name, loaded.get(name).dtype, loaded.get(name).shape])
          .sort(),
      );
      expect(countImageGPTParameters(info.tensors)).toBe(config.parameterCount('causal'));
      if (prefer === 'safetensors') expect(counted.bytes).toBeLessThan(4096); // 8 bytes and the header
    }
  });

  it('counts parameters without the attention buffers an old checkpoint carries', async () => {
    const files = folderSource(goldenCaseDir('tiny-old-checkpoint'));
    const info = await inspectCheckpoint(files);
    const config = ImageGPTConfig.parse(new TextDecoder().decode(await files.read('config.json')));
    expect(info.tensors.some((t) => t.name.endsWith('.attn.bias'))).toBe(true);
    expect(info.elements).toBeGreaterThan(countImageGPTParameters(info.tensors));
    expect(countImageGPTParameters(info.tensors)).toBe(
      config.parameterCount(
        config.architectures?.includes('ImageGPTForImageClassification') ? 'classifier' : 'causal',
      ),
    );
  });

  it('refuses a broken weights file as a load would', async () => {
    const good = writeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: new Float32Array(2) }]);
    const broken = good.slice(0, good.length - 1);
    const source: FileSource = {
      location: 'mem',
      exists: async (path) => path === 'model.safetensors',
      read: async () => broken,
    };
    const error = await inspectCheckpoint(source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(
      'mem/model.safetensors, tensor "w": data_offsets [0, 8] run past the 7 data bytes of the file (truncated?)',
    );
  });
});
