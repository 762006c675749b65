// Structure-aware fuzzing of the three hostile-input parsers a checkpoint goes through: the
// safetensors header, the zip directory of a .bin, and the pickle opcodes inside it. Inputs are
// built from the formats' own parts (entries, directory records, opcodes with their arguments)
// and then bent, so most cases get deep into each parser; every case must end in a value or a
// CheckpointError within the tally's budget. Seeded like every property test (FC_SEED explores).
import { HostileTally } from '@imagegpt/test-kit/hostile';
import fc from 'fast-check';
import { strToU8 } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.js';
import { DTYPE_SIZES } from './dtype.js';
import { CheckpointError } from './errors.js';
import { PickleDict, type PickleValue, unpickle } from './pickle.js';
import { readPytorchBin } from './pytorch-zip.js';
import { readSafetensors, readSafetensorsByRange } from './safetensors.js';
import { f32Bytes, stateDictPickle, torchZip } from './test-utils/torch-fixtures.js';

const tally = new HostileTally(
  (e): e is CheckpointError => e instanceof CheckpointError,
  'a CheckpointError',
);

afterAll(() => console.log(tally.summary('fuzzed checkpoints', 'CheckpointError', 'read as a checkpoint')));

/** One message line, short: a value from the file is quoted in ~100 characters at most. */
function expectShortMessage(error: CheckpointError): void {
  expect(error.message.split('\n')[0]?.length ?? 0).toBeLessThan(800);
}

describe('fuzzed safetensors headers', () => {
  const dtype = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...Object.keys(DTYPE_SIZES)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
  );
  const dim = fc.oneof(
    { weight: 8, arbitrary: fc.nat({ max: 5 }) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53, 1e300, '2', null) },
  );
  /** An entry whose shape and dtype fit its share of the data, or a bent one. */
  const entry = fc.record({
    dtype,
    shape: fc.oneof(
      { weight: 8, arbitrary: fc.array(dim, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    ),
    extra: fc.option(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 2 }),
      { nil: undefined },
    ),
    offsets: fc.option(fc.tuple(fc.integer({ min: -2, max: 200 }), fc.integer({ min: -2, max: 200 })), {
      nil: undefined,
    }),
  });
  const header = fc.record({
    entries: fc.uniqueArray(fc.tuple(fc.string({ maxLength: 6 }), entry), {
      maxLength: 6,
      selector: ([name]) => name,
    }),
    metadata: fc.option(
      fc.oneof(
        fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      { nil: undefined },
    ),
    spare: fc.integer({ min: -8, max: 8 }),
    lengthDelta: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: -20, max: 20 }) },
    ),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
  });

  /** Lays the entries out in order (offsets consistent with the shapes unless bent), then bends. */
  function build({ entries, metadata, spare, lengthDelta, flips }: HeaderCase): Uint8Array {
    const json: Record<string, unknown> = {};
    if (metadata !== undefined) json.__metadata__ = metadata;
    let cursor = 0;
    for (const [name, e] of entries) {
      const size =
        typeof e.dtype === 'string' && e.dtype in DTYPE_SIZES
          ? DTYPE_SIZES[e.dtype as keyof typeof DTYPE_SIZES]
          : 4;
      const count = Array.isArray(e.shape)
        ? (e.shape as unknown[]).reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 1)
        : 1;
      const bytes = Number.isSafeInteger(count * size) && count * size <= 256 ? count * size : 4;
      const offsets = e.offsets ?? [cursor, cursor + bytes];
      cursor = Math.max(cursor, typeof offsets[1] === 'number' ? offsets[1] : cursor);
      Object.defineProperty(json, name, {
        value: { ...e.extra, dtype: e.dtype, shape: e.shape, data_offsets: offsets },
        enumerable: true,
      });
    }
    const text = strToU8(JSON.stringify(json));
    const data = Math.max(0, cursor + spare);
    const out = new Uint8Array(8 + text.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, text.length + lengthDelta)), true);
    out.set(text, 8);
    for (const [at, value] of flips) out[at % out.length] = value;
    return out;
  }
  type HeaderCase = typeof header extends fc.Arbitrary<infer T> ? T : never;

  it('1,000 headers, each through both readers: a checkpoint (the same from both readers) or a CheckpointError', async () => {
    await fc.assert(
      fc.asyncProperty(header, async (c) => {
        const bytes = build(c);
        const whole = tally.attempt('safetensors header', () => readSafetensors(bytes, { source: 'fuzz' }));
        const ranged = await tally.attemptAsync('safetensors header by range', () =>
          readSafetensorsByRange(
            { size: bytes.length, read: async (offset, length) => bytes.slice(offset, offset + length) },
            { source: 'fuzz' },
          ),
        );
        expect(ranged.kind).toBe(whole.kind);
        if (whole.kind === 'typed' && ranged.kind === 'typed') {
          expect(ranged.error.message).toBe(whole.error.message);
          expectShortMessage(whole.error);
        }
        if (whole.kind === 'accepted' && ranged.kind === 'accepted') {
          expect(ranged.value.names()).toEqual(whole.value.names());
          expect(whole.value).toBeInstanceOf(Checkpoint);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fuzzed zip directories', () => {
  const valid = torchZip(stateDictPickle([{ name: 'w', key: '0', numel: 4, shape: [2, 2] }]), {
    '0': f32Bytes([1, 2, 3, 4]),
  });
  const view = new DataView(valid.buffer, valid.byteOffset, valid.byteLength);
  const end = valid.length - 22;
  const directory = view.getUint32(end + 16, true);
  /** Offsets of the central records' fields a reader trusts: sizes, offsets, lengths, method, flags. */
  const records: number[] = [];
  for (
    let at = directory;
    at < end;
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true)
  ) {
    records.push(at);
  }
  const field = fc.constantFrom(
    { at: 8, width: 2 }, // flags
    { at: 10, width: 2 }, // method
    { at: 16, width: 4 }, // crc
    { at: 20, width: 4 }, // compressed size
    { at: 24, width: 4 }, // size
    { at: 28, width: 2 }, // name length
    { at: 30, width: 2 }, // extra length
    { at: 42, width: 4 }, // local header offset
  );
  const endField = fc.constantFrom(
    { at: 8, width: 2 }, // entries here
    { at: 10, width: 2 }, // entries
    { at: 12, width: 4 }, // directory size
    { at: 16, width: 4 }, // directory offset
    { at: 20, width: 2 }, // comment length
  );
  const value = fc.oneof(
    fc.constantFrom(0, 1, 0xff, 0xffff, 0xffffffff, 0x7fffffff),
    fc.nat({ max: valid.length + 64 }),
    fc.nat(),
  );
  const edit = fc.oneof(
    fc.record({ record: fc.nat({ max: records.length - 1 }), field, value }),
    fc.record({ record: fc.constant(-1), field: endField, value }),
  );

  it('2,000 directories with bent fields: a checkpoint or a CheckpointError', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean(), (edits, verify) => {
        const bytes = valid.slice();
        const v = new DataView(bytes.buffer);
        for (const { record, field: f, value: x } of edits) {
          const at = (record < 0 ? end : (records[record] as number)) + f.at;
          if (f.width === 2) v.setUint16(at, x & 0xffff, true);
          else v.setUint32(at, x >>> 0, true);
        }
        const outcome = tally.attempt('zip directory', () =>
          readPytorchBin(bytes, { source: 'fuzz.bin', verifyChecksums: verify }),
        );
        if (outcome.kind === 'typed') expectShortMessage(outcome.error);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fuzzed pickle opcodes', () => {
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  const line = (text: string) => [...strToU8(text), 0x0a];
  const count = fc.oneof(fc.nat({ max: 8 }), fc.constantFrom(0xff, 0xffff, 0x7fffffff, 0xffffffff));
  const text = fc.oneof(
    fc.stringMatching(/^[+-]?\d{0,45}L?$/),
    fc.constantFrom('collections', 'OrderedDict', 'torch', 'FloatStorage', 'os', 'system', '01', '00', 'nan'),
    fc.string({ maxLength: 12 }),
  );
  /** One opcode with arguments of the right shape (and sometimes the wrong size). */
  const opcode: fc.Arbitrary<number[]> = fc.oneof(
    fc
      .constantFrom(
        0x28,
        0x29,
        0x2e,
        0x30,
        0x31,
        0x32,
        0x4e,
        0x52,
        0x5d,
        0x61,
        0x62,
        0x64,
        0x65,
        0x6c,
        0x73,
        0x74,
        0x75,
        0x7d,
        0x85,
        0x86,
        0x87,
        0x88,
        0x89,
        0x8f,
        0x93,
        0x94,
        0x51,
      )
      .map((op) => [op]),
    fc.tuple(fc.constantFrom(0x4b, 0x68, 0x71, 0x80), fc.nat({ max: 255 })).map(([op, arg]) => [op, arg]),
    fc.tuple(fc.constantFrom(0x4a, 0x6a, 0x72), count).map(([op, n]) => [op, ...u32(n)]),
    fc
      .tuple(fc.constantFrom(0x8a, 0x43, 0x55, 0x8c), fc.nat({ max: 20 }), fc.uint8Array({ maxLength: 20 }))
      .map(([op, n, bytes]) => [op, n, ...bytes]),
    fc
      .tuple(fc.constantFrom(0x8b, 0x58, 0x42, 0x54), count, fc.uint8Array({ maxLength: 12 }))
      .map(([op, n, bytes]) => [op, ...u32(n), ...bytes]),
    fc.tuple(fc.constantFrom(0x8d, 0x8e, 0x96, 0x95), count).map(([op, n]) => [op, ...u32(n), 0, 0, 0, 0]),
    fc.tuple(fc.constantFrom(0x49, 0x4c, 0x46, 0x67, 0x70, 0x50), text).map(([op, t]) => [op, ...line(t)]),
    fc.tuple(fc.constantFrom(0x63, 0x69), text, text).map(([op, a, b]) => [op, ...line(a), ...line(b)]),
    fc.nat({ max: 255 }).map((op) => [op]),
  );
  const globals = new Map([
    ['collections.OrderedDict', { call: () => new PickleDict('OrderedDict') as PickleValue }],
    ['torch.FloatStorage', {}],
  ]);

  it('1,000 opcode sequences, each alone and in a .bin: a value or a CheckpointError, and a state dict through readPytorchBin', () => {
    fc.assert(
      fc.property(fc.array(opcode, { maxLength: 24 }), fc.boolean(), (ops, stop) => {
        const pickle = Uint8Array.from([0x80, 2, ...ops.flat(), ...(stop ? [0x2e] : [])]);
        const outcome = tally.attempt('pickle opcodes', () =>
          unpickle(pickle, { source: 'fuzz.pkl', globals, persistentLoad: () => null }),
        );
        if (outcome.kind === 'typed') expectShortMessage(outcome.error);
        tally.attempt('pickle in a .bin', () => readPytorchBin(torchZip(pickle, {}), { source: 'fuzz.bin' }));
      }),
      { numRuns: 1000 },
    );
  });
});
