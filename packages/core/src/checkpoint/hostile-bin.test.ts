// Hostile pytorch_model.bin inputs: whatever arrives, readPytorchBin answers with a CheckpointError
// (or a checkpoint) within the tally's budget, never another error type, a hang, an exhausted heap,
// or anything the pickle asks to run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostileTally, type Outcome } from '@imagegpt/test-kit/hostile';
import fc from 'fast-check';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { type ReadPytorchBinOptions, readPytorchBin } from './pytorch-zip.js';
import { f32Bytes, PickleWriter, stateDictPickle, torchZip } from './test-utils/torch-fixtures.js';

const tally = new HostileTally(
  (e): e is CheckpointError => e instanceof CheckpointError,
  'a CheckpointError',
);

/** Reads one case as `bad.bin` and counts it: a CheckpointError or a checkpoint, within the budget. */
function attempt(
  label: string,
  bytes: Uint8Array,
  options: ReadPytorchBinOptions = {},
): Outcome<Checkpoint, CheckpointError> {
  return tally.attempt(label, () => readPytorchBin(bytes, { source: 'bad.bin', ...options }));
}

/** The case must be refused; returns the message for assertions on what it names. */
function refused(label: string, bytes: Uint8Array, options: ReadPytorchBinOptions = {}): string {
  const outcome = attempt(label, bytes, options);
  if (outcome.kind !== 'typed') throw new Error(`${label}: was accepted, expected a CheckpointError`);
  expect(outcome.error.message.startsWith('bad.bin')).toBe(true);
  expect(outcome.error.message.length).toBeLessThan(600);
  return outcome.error.message;
}

/** Storage 0 holds 0..11, a 3×4 row-major matrix. */
const range12 = f32Bytes(Array.from({ length: 12 }, (_, i) => i));
const matrix = stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4] }]);

describe('files that are not torch checkpoints', () => {
  it('refuses a pre-1.6 file cut after its magic number, naming what is missing', () => {
    // What torch < 1.6 wrote first: PROTO 2, LONG1 0x1950a86a20f9469cfc6c (the magic number), STOP
    const magicOnly = new PickleWriter().proto(2).long1(0x1950a86a20f9469cfc6cn, 10).stop().bytes();
    expect(refused('legacy format, magic only', magicOnly)).toMatch(
      /protocol version \(byte 15\).*truncated/,
    );
  });

  it('refuses files that are not zips, or zips that are not torch archives, naming the file', () => {
    expect(refused('JSON', strToU8('{"not": "a checkpoint"}'))).toBe(
      'bad.bin: is not a PyTorch checkpoint: expected a zip archive (starting with "PK") as torch.save writes',
    );
    expect(refused('empty file', new Uint8Array(0))).toContain('is not a PyTorch checkpoint');
    expect(refused('zip without data.pkl', zipSync({ 'readme.txt': strToU8('hi') }))).toContain(
      'has no <archive>/data.pkl member',
    );
    const twoPickles = zipSync({ 'a/data.pkl': Uint8Array.of(0x2e), 'b/data.pkl': Uint8Array.of(0x2e) });
    expect(refused('two data.pkl', twoPickles)).toContain('several top-level data.pkl');
  });
});

describe('broken and lying zip archives', () => {
  it('refuses every truncation of an archive', () => {
    const bytes = torchZip(matrix, { '0': range12 });
    for (let length = 0; length < bytes.length; length++)
      refused(`truncated to ${length} bytes`, bytes.subarray(0, length));
  });

  it('refuses members that declare huge expanded sizes (zip bombs) before expanding', () => {
    const deflated = torchZip(
      stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [12] }]),
      { '0': range12 },
      { level: 6 },
    );
    expect(
      refused('declared 4 GB from 40 bytes', setDeclaredSize(deflated, 'archive/data/0', 0xfffffff0)),
    ).toMatch(
      /"archive\/data\/0" declares 4294967280 bytes expanded from \d+ compressed, beyond what deflate can produce/,
    );
    // A highly compressible member that is plausible for deflate but over the total cap.
    const zeros = zipSync(
      {
        'archive/data.pkl': Uint8Array.of(0x80, 0x02, 0x7d, 0x2e),
        'archive/data/0': new Uint8Array(2 << 20),
      },
      { level: 9 },
    );
    expect(refused('2 MiB of zeros over a 1 MiB cap', zeros, { maxExpandedBytes: 1 << 20 })).toMatch(
      /declare more than 1048576 bytes in total .*zip bomb/,
    );
    const outcome = attempt('2 MiB of zeros under the default cap', zeros);
    expect(outcome.kind === 'accepted' && outcome.value.names()).toEqual([]);
  });

  it('refuses a member that expands beyond or short of its declared size', () => {
    const deflated = torchZip(
      stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [12] }]),
      { '0': range12 },
      { level: 6 },
    );
    expect(refused('expands past its size', setDeclaredSize(deflated, 'archive/data/0', 40))).toContain(
      'expands beyond its declared 40 bytes',
    );
    expect(refused('expands short of its size', setDeclaredSize(deflated, 'archive/data/0', 56))).toContain(
      'expands to 48 bytes, not the declared 56',
    );
  });

  it('refuses a corrupt data.pkl and a corrupt stored storage by their CRC-32, naming the member', () => {
    const bytes = torchZip(matrix, { '0': range12 });
    const pklAt = indexOf(bytes, strToU8('archive/data.pkl')) + 'archive/data.pkl'.length;
    const pickle = bytes.slice();
    pickle[pklAt + 5] = (pickle[pklAt + 5] as number) ^ 0xff; // inside the pickle's data
    expect(refused('flipped pickle byte', pickle)).toContain(
      'zip member "archive/data.pkl" fails its CRC-32 check',
    );
    // One flipped bit in a weight: torch's reader would load it (it skips CRCs); this one does not.
    const storageAt = indexOf(bytes, range12);
    for (const at of [storageAt, storageAt + 21, storageAt + range12.length - 1]) {
      const weight = bytes.slice();
      weight[at] = (weight[at] as number) ^ 0x01;
      expect(refused(`flipped storage byte ${at - storageAt}`, weight)).toBe(
        'bad.bin: zip member "archive/data/0" fails its CRC-32 check (corrupt file)',
      );
    }
  });
});

describe('pickle bombs', () => {
  /** PROTO 2, n × EMPTY_LIST, STOP: each opcode is one byte that allocates a list. */
  const emptyLists = (n: number) => {
    const pickle = new Uint8Array(n + 3).fill(0x5d);
    pickle.set([0x80, 0x02]);
    pickle[n + 2] = 0x2e;
    return pickle;
  };

  it('refuses a 62 KB zip whose data.pkl declares 64 MB, before inflating it', () => {
    // The audit's bomb: within the zip limits (64 MiB), but over data.pkl's own 16 MiB.
    const bomb = zipSync(
      { 'archive/data.pkl': emptyLists(64_000_000), 'archive/version': strToU8('3\n') },
      { level: 9 },
    );
    expect(bomb.length).toBeLessThan(70_000);
    // The tally holds every case to its CPU budget; refused unread, this one takes microseconds.
    expect(refused('64 MB of EMPTY_LIST, deflated', bomb)).toBe(
      "bad.bin: archive/data.pkl declares 64000003 bytes; the limit is 16777216 (a state dict's pickle takes " +
        'about 100 bytes per tensor), so it is refused unread (a pickle bomb?)',
    );
    // Lying about the size does not help: inflation stops at the first block past the declared size.
    expect(
      refused('64 MB data.pkl declaring 1000 bytes', setDeclaredSize(bomb, 'archive/data.pkl', 1000)),
    ).toContain('zip member "archive/data.pkl" expands beyond its declared 1000 bytes');
    expect(
      refused('data.pkl over a lowered limit', torchZip(matrix, { '0': range12 }), { maxPickleBytes: 100 }),
    ).toMatch(/archive\/data\.pkl declares \d+ bytes; the limit is 100 /);
  });

  it('stops a data.pkl within the size limit once it builds a million values', () => {
    const bomb = torchZip(emptyLists(1_000_001), {}, { level: 6 });
    expect(bomb.length).toBeLessThan(10_000);
    expect(refused('1 000 001 × EMPTY_LIST', bomb)).toBe(
      'bad.bin: archive/data.pkl: pickle byte 1000002: the pickle builds more than 1000000 values, ' +
        'the limit for a state dict (a pickle bomb?)',
    );
  });

  it('stops memo and MARK bombs', () => {
    // PROTO 2, EMPTY_LIST, 600 000 × MEMOIZE, STOP: one value, a memo entry per byte.
    const memo = new Uint8Array(600_004).fill(0x94);
    memo.set([0x80, 0x02, 0x5d]);
    memo[memo.length - 1] = 0x2e;
    expect(refused('600 000 × MEMOIZE', torchZip(memo, {}, { level: 6 }))).toContain(
      'the memo grows past 500000 entries',
    );
    // PROTO 2, 100 000 × MARK, STOP
    const marks = new Uint8Array(100_003).fill(0x28);
    marks.set([0x80, 0x02]);
    marks[marks.length - 1] = 0x2e;
    expect(refused('100 000 × MARK', torchZip(marks, {}, { level: 6 }))).toContain(
      'MARKs nest more than 1000 deep',
    );
  });
});

describe('strided views that would copy without bound', () => {
  it('refuses broadcast views (overlapping strides) with more elements than their storage', () => {
    const one = f32Bytes([7]);
    // The audit's RangeError: 3 × 2^30 elements from one.
    const wide = viewPickle([{ name: 'w', key: '0', numel: 1, shape: [3, 2 ** 30], stride: [0, 0] }]);
    expect(refused('[3, 2^30] stride 0', torchZip(wide, { '0': one }))).toBe(
      'bad.bin, tensor "w": view (offset 0, size [3, 1073741824], stride [0, 0]) has 3221225472 elements but ' +
        'storage "0" holds 1: its strides overlap (a broadcast view), which a state dict does not hold',
    );
    // The audit's 37 s, 1.4 GB acceptance.
    const square = viewPickle([{ name: 'sq', key: '0', numel: 1, shape: [20000, 20000], stride: [0, 0] }]);
    expect(refused('[20000, 20000] stride 0', torchZip(square, { '0': one }))).toContain(
      'has 400000000 elements',
    );
    // A broadcast row that fits its storage's element count is an ordinary copy (see pytorch-zip.test.ts).
    const row = viewPickle([{ name: 'r', key: '0', numel: 12, shape: [3, 4], stride: [0, 1] }]);
    const outcome = attempt('[3, 4] stride [0, 1] of 12', torchZip(row, { '0': range12 }));
    expect(outcome.kind === 'accepted' && Array.from(outcome.value.float32('r'))).toEqual([
      0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
    ]);
  });

  it('refuses many copies of one storage past the copy budget', () => {
    // The audit's +409 MB: 400 transposed views of one 1 MB storage (512 × 512 float32).
    const storage = new Uint8Array(512 * 512 * 4);
    const views = Array.from({ length: 400 }, (_, i) => ({
      name: `t${i}`,
      key: '0',
      numel: 512 * 512,
      shape: [512, 512],
      stride: [1, 512],
    }));
    const message = refused(
      '400 transposed views of 1 MB',
      torchZip(stateDictPickle(views), { '0': storage }),
    );
    expect(message).toMatch(
      /^bad\.bin, tensor "t64": copying this view \(offset 0, size \[512, 512\], stride \[1, 512\]\) into row-major order would exceed the budget for copied views \(0 of its bytes left, 1048576 needed\)$/,
    );
    // A lower budget stops sooner; a higher one lets all 400 through.
    expect(
      refused('400 views, 4 MiB budget', torchZip(stateDictPickle(views), { '0': storage }), {
        maxCopiedBytes: 4 << 20,
      }),
    ).toContain('tensor "t4"');
  });

  it('refuses sizes, strides and offsets whose products leave the exact integers', () => {
    const cases: [string, ViewSpec, RegExp][] = [
      [
        'stride 2^52 over 3 rows',
        { shape: [3, 2], stride: [2 ** 52, 1] },
        /reaches beyond any possible storage/,
      ],
      ['stride 2^50 × 16', { shape: [17], stride: [2 ** 50] }, /reaches beyond any possible storage/],
      [
        'stride 2^53 (not an exact integer)',
        { shape: [2], stride: [2 ** 53] },
        /stride tuple of 1 is not a tuple of non-negative integers/,
      ],
      [
        'offset 2^53 - 1 plus a stride',
        { shape: [2], stride: [1], offset: 2 ** 53 - 1 },
        /reaches beyond any possible storage/,
      ],
      [
        'size 2^40 × 2^40',
        { shape: [2 ** 40, 2 ** 40], stride: [0, 0] },
        /shape \[1099511627776, 1099511627776\] is too large/,
      ],
      ['size 2^52 × 3, stride 0', { shape: [2 ** 52, 3], stride: [0, 0] }, /shape .* is too large/],
      [
        'offset past the storage',
        { shape: [1], stride: [1], offset: 12 },
        /reaches element 12 but storage "0" holds 12/,
      ],
    ];
    for (const [label, spec, expected] of cases) {
      const pickle = viewPickle([{ name: 'x', key: '0', numel: 12, ...spec }]);
      expect(refused(label, torchZip(pickle, { '0': range12 }))).toMatch(expected);
    }
  });

  it('refuses views that reach past their storage, and storages shorter than declared', () => {
    const past = stateDictPickle([{ name: 'w', key: '0', numel: 12, offset: 6, shape: [2, 4] }]);
    expect(refused('view past its storage', torchZip(past, { '0': range12 }))).toBe(
      'bad.bin, tensor "w": view (offset 6, size [2, 4], stride [4, 1]) reaches element 13 but storage "0" holds 12',
    );
    const strided = stateDictPickle([{ name: 't', key: '0', numel: 12, shape: [4, 4], stride: [1, 4] }]);
    expect(refused('strided view past its storage', torchZip(strided, { '0': range12 }))).toContain(
      'reaches element 15 but storage "0" holds 12',
    );
    const short = stateDictPickle([{ name: 'w', key: '0', numel: 16, shape: [16] }]);
    expect(refused('short storage', torchZip(short, { '0': range12 }))).toContain(
      'storage archive/data/0 holds 48 bytes; 16 × F32 needs 64',
    );
    const missing = stateDictPickle([{ name: 'w', key: '7', numel: 12, shape: [12] }]);
    expect(refused('missing storage', torchZip(missing, { '0': range12 }))).toBe(
      'bad.bin: the pickle refers to storage "7" but the archive has no archive/data/7',
    );
  });
});

describe('pickles that are not state dicts', () => {
  it('refuses storage types and top-level objects that are not a state dict of tensors', () => {
    const complex = stateDictPickle([
      { name: 'c', key: '0', numel: 1, shape: [1], storageType: 'ComplexFloatStorage' },
    ]);
    expect(refused('complex storage', torchZip(complex, { '0': new Uint8Array(8) }))).toContain(
      'GLOBAL torch.ComplexFloatStorage is not allowed',
    );
    // PROTO 2 | EMPTY_DICT | BINUNICODE 'epoch' | BININT1 3 | SETITEM | STOP
    const notTensor = new PickleWriter().proto().emptyDict().str('epoch').int(3).raw(0x73).stop().bytes();
    expect(refused('int value', torchZip(notTensor, {}))).toBe(
      'bad.bin, tensor "epoch": is int 3, not a tensor; only flat state dicts (names → tensors) are supported',
    );
    // PROTO 2 | EMPTY_LIST | STOP
    expect(refused('list root', torchZip(new PickleWriter().proto().raw(0x5d).stop().bytes(), {}))).toContain(
      'holds list of 0; expected a state dict',
    );
  });
});

describe('pickles that try to run code', () => {
  const canaryDir = mkdtempSync(join(tmpdir(), 'imagegpt-canary-'));
  afterAll(() => rmSync(canaryDir, { recursive: true, force: true }));

  /** The callables an attacker reaches for, each with the argument that would create CANARY-n. */
  const payloads = (n: number): [module: string, name: string, argument: string][] => {
    const touch = `touch ${join(canaryDir, `CANARY-${n}`)}`;
    const python = `__import__('os').system(${JSON.stringify(touch)})`;
    return [
      ['os', 'system', touch],
      ['posix', 'system', touch],
      ['subprocess', 'Popen', touch],
      ['builtins', 'eval', python],
      ['builtins', 'exec', python],
    ];
  };
  /** The ways a pickle can call them, by hand: protocol 2 (STACK_GLOBAL needs 4). */
  const styles: Record<string, (module: string, name: string, argument: string) => Uint8Array> = {
    // PROTO 2 | GLOBAL module name | BINUNICODE argument | TUPLE1 | REDUCE | STOP
    'GLOBAL + REDUCE': (module, name, argument) =>
      new PickleWriter().proto().global(module, name).str(argument).raw(0x85).reduce().stop().bytes(),
    // PROTO 4 | SHORT_BINUNICODE module | SHORT_BINUNICODE name | STACK_GLOBAL | BINUNICODE argument | TUPLE1 | REDUCE | STOP
    'STACK_GLOBAL + REDUCE': (module, name, argument) =>
      new PickleWriter()
        .proto(4)
        .shortStr(module)
        .shortStr(name)
        .raw(0x93)
        .str(argument)
        .raw(0x85)
        .reduce()
        .stop()
        .bytes(),
    // PROTO 2 | MARK | BINUNICODE argument | INST 'module\nname\n' | STOP
    INST: (module, name, argument) =>
      new PickleWriter()
        .proto()
        .mark()
        .str(argument)
        .raw(0x69, ...strToU8(`${module}\n${name}\n`))
        .stop()
        .bytes(),
    // PROTO 2 | MARK | GLOBAL module name | BINUNICODE argument | OBJ | STOP
    OBJ: (module, name, argument) =>
      new PickleWriter().proto().mark().global(module, name).str(argument).raw(0x6f).stop().bytes(),
  };

  it('refuses os.system, posix.system, subprocess.Popen, eval and exec by every opcode, and nothing runs', () => {
    let n = 0;
    for (const [style, build] of Object.entries(styles)) {
      for (const [module, name, argument] of payloads(n)) {
        const message = refused(`${style} ${module}.${name}`, torchZip(build(module, name, argument), {}));
        expect(message).toMatch(
          style === 'INST'
            ? `INST ${module}.${name} refused`
            : new RegExp(`(STACK_)?GLOBAL ${module}\\.${name} is not allowed`),
        );
        n++;
      }
    }
    expect(n).toBe(20);
    expect(readdirSync(canaryDir).filter((file) => file.startsWith('CANARY'))).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')(
    'would have seen a canary: the same command, run by the test, leaves one',
    () => {
      const [, , touch] = payloads(99)[0] as [string, string, string];
      execFileSync('/bin/sh', ['-c', touch]);
      writeFileSync(join(canaryDir, 'CANARY-fs'), '');
      expect(readdirSync(canaryDir).sort()).toEqual(['CANARY-99', 'CANARY-fs']);
      rmSync(join(canaryDir, 'CANARY-99'));
      rmSync(join(canaryDir, 'CANARY-fs'));
    },
  );
});

describe('random damage to a valid archive (property)', () => {
  const valid = {
    stored: torchZip(
      stateDictPickle([
        { name: 'm', key: '0', numel: 12, shape: [3, 4], stride: [1, 3] },
        { name: 'row', key: '0', numel: 12, offset: 4, shape: [4] },
        { name: 'h', key: '1', numel: 2, shape: [2], storageType: 'HalfStorage' },
      ]),
      { '0': range12, '1': Uint8Array.of(0x00, 0x3c, 0x00, 0xc1) },
    ),
    deflated: torchZip(
      stateDictPickle([{ name: 'm', key: '0', numel: 12, shape: [3, 4], stride: [1, 3] }]),
      { '0': range12 },
      { level: 6 },
    ),
  };

  it.each(Object.entries(valid))(
    '%s: every truncation and byte flip ends in a CheckpointError or a checkpoint',
    (kind, bytes) => {
      expect(attempt(`${kind}: intact`, bytes).kind).toBe('accepted');
      fc.assert(
        fc.property(fc.nat(bytes.length - 1), (length) => {
          refused(`${kind}: truncated to ${length}`, bytes.subarray(0, length));
        }),
        { numRuns: 200 },
      );
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          (flips) => {
            const damaged = bytes.slice();
            for (const [at, mask] of flips) damaged[at] = (damaged[at] as number) ^ mask;
            attempt(`${kind}: flipped ${flips.map(([at, mask]) => `${at}^${mask}`).join(' ')}`, damaged);
          },
        ),
        { numRuns: 600 },
      );
    },
  );
});

afterAll(() => {
  console.log(tally.summary('pytorch_model.bin', 'CheckpointError', 'read as a valid checkpoint'));
  expect(tally.crashes).toBe(0);
  expect(tally.overBudget).toBe(0);
});

/** A view for {@link viewPickle}: sizes, strides and offset may exceed 32 bits. */
interface ViewSpec {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset?: number;
}

/**
 * The state dict pickle of torch-fixtures' `stateDictPickle`, float32 only, with ints written as
 * LONG1 when they do not fit BININT (which holds 31 bits).
 */
function viewPickle(
  tensors: readonly (ViewSpec & { name: string; key: string; numel: number })[],
): Uint8Array {
  const p = new PickleWriter().proto(2).emptyDict().mark();
  const int = (value: number) => {
    if (value < 2 ** 31) return p.int(value);
    let rest = BigInt(value);
    const bytes: number[] = [];
    while (rest > 0n || (bytes.at(-1) ?? 0) & 0x80) {
      bytes.push(Number(rest & 0xffn));
      rest >>= 8n;
    }
    return p.raw(0x8a, bytes.length, ...bytes); // LONG1: length, little-endian two's complement
  };
  for (const t of tensors) {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str(t.key).str('cpu');
    int(t.numel).tuple().binPersId();
    int(t.offset ?? 0).mark();
    for (const d of t.shape) int(d);
    p.tuple().mark();
    for (const s of t.stride) int(s);
    p.tuple().newFalse().global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }
  return p.setItems().stop().bytes();
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Rewrites the uncompressed size that the central directory declares for `name`. */
function setDeclaredSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const encoded = strToU8(name);
  for (let at = indexOf(out, encoded); at >= 0; at = indexOf(out, encoded, at + 1)) {
    const header = at - 46;
    if (
      header >= 0 &&
      view.getUint32(header, true) === 0x02014b50 &&
      view.getUint16(header + 28, true) === encoded.length
    ) {
      view.setUint32(header + 24, size, true);
      return out;
    }
  }
  throw new Error(`no central directory entry for ${name}`);
}
