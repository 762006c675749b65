// The one shard-index reader (loadCheckpoint, inspectCheckpoint and the hub's file choice share
// it): hostile indexes end in one short CheckpointError, or a weight map, within the tally's budget.
import { HostileTally } from '@imagegpt/test-kit/hostile';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import { MAX_SHARDS, readShardIndex } from './weight-files.js';

const tally = new HostileTally(
  (e): e is CheckpointError => e instanceof CheckpointError,
  'a CheckpointError',
);
const NAME = 'model.safetensors.index.json';

function refused(text: string): CheckpointError {
  const outcome = tally.attempt('index', () => readShardIndex(text, NAME));
  if (outcome.kind !== 'typed') throw new Error('accepted, expected a CheckpointError');
  expect(outcome.error.message).not.toMatch(/\n/);
  expect(outcome.error.message.length).toBeLessThan(400);
  return outcome.error;
}

describe('readShardIndex', () => {
  it('reads a weight map, skipping metadata unbuilt however many values it hides', () => {
    const junk = `[${'[],'.repeat(3_000_000)}[]]`; // ~9 MB: under maxJsonBytes, millions of values
    const text = `{"metadata": {"total_size": 4, "junk": ${junk}}, "weight_map": {"a": "s-1.safetensors", "b": "s-2.safetensors"}}`;
    const outcome = tally.attempt('junk metadata', () => readShardIndex(text, NAME));
    expect(outcome).toMatchObject({ kind: 'accepted' });
    if (outcome.kind === 'accepted')
      expect([...outcome.value]).toEqual([
        ['a', 's-1.safetensors'],
        ['b', 's-2.safetensors'],
      ]);
  });

  it(`refuses an index naming more than ${MAX_SHARDS} shards while reading it`, () => {
    const map = Array.from({ length: MAX_SHARDS + 1 }, (_, i) => `"t${i}": "s-${i}.safetensors"`).join(',');
    expect(refused(`{"weight_map": {${map}}}`).message).toBe(
      `${NAME}: names more than ${MAX_SHARDS} shard files, the most that are read`,
    );
    // Many tensors in few shards are fine.
    const many = Array.from({ length: 50_000 }, (_, i) => `"t${i}": "s-${i % 3}.safetensors"`).join(',');
    expect(readShardIndex(`{"weight_map": {${many}}}`, NAME).size).toBe(50_000);
  });

  it('quotes at most ~100 characters of a hostile name or value', () => {
    const long = 'x'.repeat(1_000_000);
    expect(refused(`{"weight_map": {"${long}": "../${long}"}}`).message).toMatch(
      /is not a relative file name inside the model folder$/,
    );
    expect(refused(`{"weight_map": {"a": [${'1,'.repeat(100_000)}1]}}`).message).toMatch(
      /^model\.safetensors/,
    );
    expect(refused(`{"weight_map": ${'['.repeat(100_000)}`).message).toMatch(/is not JSON|no "weight_map"/);
    expect(refused('{"weight_map": {}}').message).toBe(`${NAME}: weight_map is empty`);
    expect(refused('{"metadata": {}}').message).toMatch(/has no "weight_map" object/);
  });
});
