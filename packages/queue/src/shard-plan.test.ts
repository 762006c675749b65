import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planShards } from './shard-plan.js';

describe('planShards', () => {
  it('covers every row once, in order, in shards of the size asked for (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 700 }), (total, size) => {
        const shards = planShards(total, size);
        expect(shards).toHaveLength(Math.ceil(total / size));
        let next = 0;
        for (const [i, shard] of shards.entries()) {
          expect(shard).toMatchObject({ index: i, count: shards.length, start: next });
          expect(shard.end - shard.start).toBe(i < shards.length - 1 ? size : total - next);
          expect(shard.end).toBeGreaterThan(shard.start);
          next = shard.end;
        }
        expect(next).toBe(total);
      }),
    );
  });

  it('defaults to 256 rows and refuses sizes that are not counts', () => {
    expect(planShards(600).map((s) => s.end - s.start)).toEqual([256, 256, 88]);
    expect(() => planShards(10, 0)).toThrow('shard size must be >= 1, got 0');
    expect(() => planShards(-1, 4)).toThrow('total must be a count');
  });
});
