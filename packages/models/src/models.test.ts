import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedPath } from '@imagegpt/test-kit';
import { describe, expect, it } from 'vitest';
import { MODEL_FILES, mnistCausalUrl, mnistClassifierUrl } from './index.js';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('embedded MNIST model', () => {
  it.each([
    ['causal', mnistCausalUrl, 'igpt-mnist-16/'],
    ['classifier', mnistClassifierUrl, 'igpt-mnist-16-classifier/'],
  ] as const)('ships the %s checkpoint byte for byte', (kind, url, dir) => {
    for (const file of MODEL_FILES[kind]) {
      expect(sha(fileURLToPath(new URL(file, url))), file).toBe(sha(join(sharedPath('models', dir), file)));
    }
  });

  it('has the classifier labels 0..9', () => {
    const config = JSON.parse(
      readFileSync(fileURLToPath(new URL('config.json', mnistClassifierUrl)), 'utf8'),
    );
    expect(Object.values(config.id2label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});
