import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, shardJobId } from './job-id.js';

describe('shardJobId', () => {
  const identity = {
    model: { ref: { model: '/models/igpt-s' }, files: [['config.json', 912, 1]] },
    layer: 12,
    images: ['/d/a.png', '/d/b.png'],
    dir: '/out/f.shards',
  };

  it('is the same for the same shard, whatever order the keys were written in', () => {
    const reordered = { dir: identity.dir, images: identity.images, layer: 12, model: identity.model };
    expect(shardJobId('features', reordered)).toBe(shardJobId('features', identity));
    expect(shardJobId('features', identity)).toMatch(/^features-[0-9a-f]{32}$/);
  });

  it('changes with anything that changes the shard: model, options, images, their order, the folder, the kind', () => {
    const base = shardJobId('features', identity);
    const variants = [
      { ...identity, model: { ...identity.model, files: [['config.json', 912, 2]] } },
      { ...identity, layer: 11 },
      { ...identity, images: ['/d/a.png'] },
      { ...identity, images: ['/d/b.png', '/d/a.png'] },
      { ...identity, dir: '/out/g.shards' },
    ];
    const ids = new Set([
      base,
      ...variants.map((v) => shardJobId('features', v)),
      shardJobId('generate', identity),
    ]);
    expect(ids.size).toBe(variants.length + 2);
  });

  it('canonicalJson: equal values give equal text (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const shuffled = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalJson(shuffled)).toBe(canonicalJson(value));
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
