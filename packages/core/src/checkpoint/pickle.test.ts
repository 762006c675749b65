import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from './errors.js';
import {
  DEFAULT_UNPICKLE_LIMITS,
  PickleDict,
  type PickleList,
  PickleOpaque,
  type PickleTuple,
  type PickleValue,
  unpickle,
} from './pickle.js';
import { PickleWriter } from './test-utils/torch-fixtures.js';

/** A small allow-list standing in for torch's: one callable, one value-only class. */
const globals = new Map([
  ['collections.OrderedDict', { call: () => new PickleDict('OrderedDict') }],
  ['torch.FloatStorage', {}],
]);
const read = (bytes: Uint8Array, persistentLoad?: (pid: PickleValue) => PickleValue) =>
  unpickle(
    bytes,
    persistentLoad === undefined
      ? { source: 'test.pkl', globals }
      : { source: 'test.pkl', globals, persistentLoad },
  );
const p = () => new PickleWriter();

function refusal(bytes: Uint8Array): string {
  try {
    read(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).file).toBe('test.pkl');
    return (error as Error).message;
  }
  return expect.fail('the pickle was accepted');
}

describe('unpickle: the data subset torch uses', () => {
  it('reads scalars, strings, tuples, lists and dicts', () => {
    // PROTO 2, MARK, BININT1 7, BININT2 300, BININT -5, LONG1 (8 bytes) 2^62, NEWTRUE, NONE, BINFLOAT 1.5,
    // SHORT_BINUNICODE "é", TUPLE, STOP
    const bytes = p()
      .proto(2)
      .mark()
      .raw(0x4b, 7)
      .raw(0x4d, 0x2c, 0x01)
      .raw(0x4a, 0xfb, 0xff, 0xff, 0xff)
      .raw(0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40)
      .raw(0x88, 0x4e)
      .raw(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0)
      .shortStr('é')
      .tuple()
      .stop()
      .bytes();
    const value = read(bytes) as PickleTuple;
    expect(value.items).toEqual([7, 300, -5, 2n ** 62n, true, null, 1.5, 'é']);
  });

  it('follows the memo (BINPUT/BINGET, MEMOIZE, LONG_BINGET) and builds containers in place', () => {
    // PROTO 4, EMPTY_LIST, MEMOIZE(0), EMPTY_DICT, BINPUT 1, 'k', BINGET 0, SETITEM, APPEND,
    // MARK 'a' LONG1(-1) APPENDS, LONG_BINGET 1, TUPLE2, STOP
    const bytes = p()
      .proto(4)
      .raw(0x5d, 0x94)
      .emptyDict()
      .raw(0x71, 1)
      .str('k')
      .raw(0x68, 0, 0x73, 0x61)
      .mark()
      .str('a')
      .raw(0x8a, 1, 0xff, 0x65)
      .raw(0x6a, 1, 0, 0, 0, 0x86)
      .stop()
      .bytes();
    const [list, dict] = (read(bytes) as PickleTuple).items as [PickleList, PickleDict];
    expect(list.items[0]).toBe(dict);
    expect(list.items.slice(1)).toEqual(['a', -1]);
    expect(dict.entries.get('k')).toBe(list); // a cycle, as pickles may have
  });

  it('calls allowed globals through REDUCE and hands persistent ids to the caller', () => {
    // PROTO 2, GLOBAL collections OrderedDict, EMPTY_TUPLE, REDUCE, MARK 'storage' GLOBAL torch FloatStorage TUPLE BINPERSID, TUPLE2, STOP
    const bytes = p()
      .proto()
      .global('collections', 'OrderedDict')
      .emptyTuple()
      .reduce()
      .mark()
      .str('storage')
      .global('torch', 'FloatStorage')
      .tuple()
      .binPersId()
      .raw(0x86)
      .stop()
      .bytes();
    const seen: PickleValue[] = [];
    const value = read(bytes, (pid) => {
      seen.push(pid);
      return new PickleOpaque('storage', 42);
    }) as PickleTuple;
    expect(value.items[0]).toBeInstanceOf(PickleDict);
    expect((value.items[0] as PickleDict).className).toBe('OrderedDict');
    expect((value.items[1] as PickleOpaque).value).toBe(42);
    expect((seen[0] as PickleTuple).items[0]).toBe('storage');
  });
});

describe('unpickle refuses code execution, naming the global or opcode', () => {
  it('GLOBAL os.system + REDUCE: refused at the GLOBAL, before the REDUCE is read', () => {
    // 0: PROTO 2 | 2: GLOBAL 'os' 'system' | BINUNICODE 'echo pwned' | TUPLE1 | REDUCE | STOP
    const bytes = p().proto().global('os', 'system').str('echo pwned').raw(0x85).reduce().stop().bytes();
    expect(refusal(bytes)).toMatch(
      /^test\.pkl: pickle byte 2: GLOBAL os\.system is not allowed; this reader only loads collections\.OrderedDict, torch\.FloatStorage$/,
    );
  });

  it.each([
    ['posix', 'system'],
    ['subprocess', 'Popen'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['__builtin__', 'getattr'],
    ['torch', 'load'],
  ])('GLOBAL %s.%s is refused', (module, name) => {
    // PROTO 2, GLOBAL module name, MARK 'x' TUPLE, REDUCE, STOP
    const bytes = p().proto().global(module, name).mark().str('x').tuple().reduce().stop().bytes();
    expect(refusal(bytes)).toContain(`GLOBAL ${module}.${name} is not allowed`);
  });

  it('STACK_GLOBAL builtins.eval is refused', () => {
    // PROTO 4 | SHORT_BINUNICODE 'builtins' | SHORT_BINUNICODE 'eval' | STACK_GLOBAL | SHORT_BINUNICODE '1+1' | TUPLE1 | REDUCE | STOP
    const bytes = p()
      .proto(4)
      .shortStr('builtins')
      .shortStr('eval')
      .raw(0x93)
      .shortStr('1+1')
      .raw(0x85)
      .reduce()
      .stop()
      .bytes();
    expect(refusal(bytes)).toMatch(/pickle byte \d+: STACK_GLOBAL builtins\.eval is not allowed/);
  });

  it('INST os.system is refused without touching the stack', () => {
    // PROTO 2 | MARK | BINUNICODE 'ls' | INST 'os' 'system' | STOP
    const bytes = p()
      .proto()
      .mark()
      .str('ls')
      .raw(0x69, ...new TextEncoder().encode('os\nsystem\n'))
      .stop()
      .bytes();
    expect(refusal(bytes)).toContain('INST os.system refused: the opcode instantiates an arbitrary class');
  });

  it('OBJ is refused, even on an allowed class', () => {
    // PROTO 2 | MARK | GLOBAL collections OrderedDict | OBJ | STOP
    expect(
      refusal(p().proto().mark().global('collections', 'OrderedDict').raw(0x6f).stop().bytes()),
    ).toContain('OBJ collections.OrderedDict refused');
    // PROTO 2 | MARK | GLOBAL subprocess Popen | BINUNICODE 'ls' | OBJ | STOP: stops at the GLOBAL
    expect(
      refusal(p().proto().mark().global('subprocess', 'Popen').str('ls').raw(0x6f).stop().bytes()),
    ).toContain('GLOBAL subprocess.Popen is not allowed');
  });

  it('NEWOBJ, NEWOBJ_EX and the extension registry are refused', () => {
    // PROTO 2 | GLOBAL collections OrderedDict | EMPTY_TUPLE | NEWOBJ | STOP
    expect(
      refusal(p().proto().global('collections', 'OrderedDict').emptyTuple().raw(0x81).stop().bytes()),
    ).toContain('NEWOBJ collections.OrderedDict refused');
    // PROTO 4 | GLOBAL ... | EMPTY_TUPLE | EMPTY_DICT | NEWOBJ_EX | STOP
    expect(
      refusal(
        p().proto(4).global('collections', 'OrderedDict').emptyTuple().emptyDict().raw(0x92).stop().bytes(),
      ),
    ).toContain('NEWOBJ_EX collections.OrderedDict refused');
    // PROTO 2 | EXT1 0x01 | STOP
    expect(refusal(p().proto().raw(0x82, 1).stop().bytes())).toContain(
      'opcode EXT1 (0x82) refused: it loads a global through the extension registry',
    );
  });

  it('REDUCE on anything but an allowed callable is refused', () => {
    // PROTO 2 | GLOBAL torch FloatStorage | EMPTY_TUPLE | REDUCE | STOP
    expect(
      refusal(p().proto().global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes()),
    ).toContain('REDUCE on torch.FloatStorage, which may be referenced but not called');
    // PROTO 2 | BINUNICODE 'os.system' | EMPTY_TUPLE | REDUCE | STOP
    expect(refusal(p().proto().str('os.system').emptyTuple().reduce().stop().bytes())).toContain(
      'REDUCE on str "os.system", which is not an allowed callable',
    );
  });

  it('BUILD with a real state is refused; persistent ids need a resolver', () => {
    // PROTO 2 | EMPTY_LIST | MARK 'k' 'v' DICT | BUILD | STOP
    expect(refusal(p().proto().raw(0x5d).mark().str('k').str('v').raw(0x64, 0x62).stop().bytes())).toContain(
      'BUILD with state dict of 1 on list of 0 is not supported',
    );
    // PROTO 2 | BINUNICODE 'x' | BINPERSID | STOP
    expect(refusal(p().proto().str('x').binPersId().stop().bytes())).toContain(
      'persistent ids are not allowed',
    );
  });

  it('reports malformed pickles clearly', () => {
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x4b))).toContain(
      'needs 1 more bytes but the pickle ends at byte 3 (truncated)',
    );
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x4b, 1))).toContain('ends without STOP');
    expect(refusal(Uint8Array.of(0x80, 0x06))).toContain('protocol 6 is newer');
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x2e))).toContain('the stack is empty');
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x68, 9, 0x2e))).toContain('memo slot 9 was never stored');
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x74, 0x2e))).toContain('no MARK to pop to');
    expect(refusal(Uint8Array.of(0x80, 0x02, 0xff, 0x2e))).toContain('unknown opcode 0xff');
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0xff))).toContain(
      'needs 4294967295 more bytes',
    );
    expect(refusal(Uint8Array.of(0x80, 0x02, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x10))).toContain(
      'larger than the whole pickle',
    );
  });

  it('throws only CheckpointError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (tail) => {
        try {
          read(Uint8Array.of(0x80, 0x02, ...tail), () => null);
        } catch (error) {
          expect(error).toBeInstanceOf(CheckpointError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('unpickle caps what a pickle may build (pickle bombs)', () => {
  /** PROTO 2, `head`, `count` × `op`, `tail`, STOP. */
  const repeated = (head: number[], op: number[], count: number, tail: number[]) =>
    Uint8Array.from([0x80, 0x02, ...head, ...Array.from({ length: count }, () => op).flat(), ...tail, 0x2e]);
  const limited = (bytes: Uint8Array, limits: Parameters<typeof unpickle>[1]['limits']) =>
    unpickle(bytes, { source: 'test.pkl', globals, limits });
  const refusedWith = (bytes: Uint8Array, limits?: Parameters<typeof unpickle>[1]['limits']) => {
    try {
      limited(bytes, limits);
    } catch (error) {
      expect(error).toBeInstanceOf(CheckpointError);
      return (error as Error).message;
    }
    return expect.fail('the pickle was accepted');
  };

  it('has defaults that fit a state dict of tens of thousands of tensors and not much more', () => {
    // A torch state dict pushes about 21 values and 8 memo entries per tensor, nesting MARKs 3 deep.
    expect(DEFAULT_UNPICKLE_LIMITS).toEqual({ maxValues: 1_000_000, maxMemo: 500_000, maxMarkDepth: 1_000 });
  });

  it('counts every value pushed: EMPTY_LISTs up to the cap are read, one more is refused', () => {
    // PROTO 2 | MARK | 9 × EMPTY_LIST | LIST | STOP: ten values (nine lists and the list of them)
    const nine = repeated([0x28], [0x5d], 9, [0x6c]);
    expect((limited(nine, { maxValues: 10 }) as PickleList).items).toHaveLength(9);
    expect(refusedWith(nine, { maxValues: 9 })).toBe(
      'test.pkl: pickle byte 12: the pickle builds more than 9 values, the limit for a state dict (a pickle bomb?)',
    );
  });

  it('refuses a million and one EMPTY_LISTs with the default cap, at the first value past it', () => {
    // The work is counted, not timed: the refusal names the byte of the 1 000 001st value, so the
    // reader built no more than the cap allows however long the pickle goes on.
    const bomb = repeated([0x28], [0x5d], 1_000_001, [0x6c]);
    expect(refusedWith(bomb)).toContain('pickle byte 1000003: the pickle builds more than 1000000 values');
  });

  it('counts references too: DUP and memo fetches cannot grow a list without bound', () => {
    // PROTO 2 | EMPTY_LIST | 20 × (DUP APPEND) | STOP: the list would hold itself 20 times
    const dups = repeated([0x5d], [0x32, 0x61], 20, []);
    expect((limited(dups, { maxValues: 21 }) as PickleList).items).toHaveLength(20);
    expect(refusedWith(dups, { maxValues: 10 })).toContain('more than 10 values');
    // PROTO 2 | MARK | NONE | BINPUT 0 | 20 × BINGET 0 | LIST | STOP
    const gets = repeated([0x28, 0x4e, 0x71, 0], [0x68, 0], 20, [0x6c]);
    expect(refusedWith(gets, { maxValues: 10 })).toContain('more than 10 values');
  });

  it('caps the memo, counting only new slots', () => {
    // PROTO 2 | NONE | 4 × MEMOIZE | STOP: slots 0, 1, 2, then a fourth
    expect(refusedWith(repeated([0x4e], [0x94], 4, []), { maxMemo: 3 })).toBe(
      'test.pkl: pickle byte 6: the memo grows past 3 entries, the limit for a state dict (a pickle bomb?)',
    );
    // PROTO 2 | NONE | 100 × LONG_BINPUT 7 | STOP: one slot, overwritten
    expect(limited(repeated([0x4e], [0x72, 7, 0, 0, 0], 100, []), { maxMemo: 1 })).toBeNull();
  });

  it('caps how deep MARKs nest', () => {
    // PROTO 2 | 5 × MARK | STOP: never closed
    const marks = repeated([], [0x28], 5, []);
    expect(refusedWith(marks, { maxMarkDepth: 4 })).toBe(
      'test.pkl: pickle byte 6: MARKs nest more than 4 deep, the limit for a state dict (a pickle bomb?)',
    );
    expect(refusedWith(marks, { maxMarkDepth: 5 })).toContain('STOP inside an unclosed MARK');
  });
});

describe('unpickle bounds numbers and arguments, and quotes at most ~100 characters of them', () => {
  const enc = new TextEncoder();
  /** PROTO 2 | opcode | the argument's bytes | STOP */
  const op = (code: number, argument: Uint8Array | number[]) =>
    Uint8Array.from([0x80, 2, code, ...argument, 0x2e]);

  it('refuses a LONG of a million digits at its 256th byte, quoting 100 of them', () => {
    const digits = enc.encode(`${'7'.repeat(1_000_000)}L\n`);
    const message = refusal(op(0x4c, digits));
    expect(message).toBe(
      `test.pkl: pickle byte 2: a newline-terminated argument runs past 256 bytes ("${'7'.repeat(100)}…"), longer than any this reader uses`,
    );
  });

  it('takes text integers up to 39 digits (128 bits) and refuses wider ones', () => {
    const max = (2n ** 128n - 1n).toString(); // 39 digits
    expect(read(op(0x4c, enc.encode(`${max}L\n`)))).toBe(2n ** 128n - 1n);
    expect(read(op(0x49, enc.encode('-00042\n')))).toBe(-42);
    expect(refusal(op(0x49, enc.encode(`1${'0'.repeat(39)}\n`)))).toBe(
      `test.pkl: pickle byte 2: "1${'0'.repeat(39)}" has more than 39 digits, wider than this reader takes (a state dict needs 64 bits)`,
    );
    expect(refusal(op(0x49, enc.encode(`${'x'.repeat(200)}\n`)))).toBe(
      `test.pkl: pickle byte 2: "${'x'.repeat(100)}…" is not an integer`,
    );
  });

  it('takes LONG1 integers up to 16 bytes (torch’s legacy 76-bit magic number among them)', () => {
    // The magic number of torch's legacy (non-zip) format: 0x1950a86a20f9469cfc6c, in 10 bytes.
    const magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    expect(read(op(0x8a, [10, ...magic]))).toBe(0x1950a86a20f9469cfc6cn);
    expect(read(op(0x8a, [16, ...new Array(15).fill(0), 0x40]))).toBe(2n ** 126n);
    expect(refusal(op(0x8a, [17, ...new Array(17).fill(1)]))).toBe(
      'test.pkl: pickle byte 2: a 17-byte integer is wider than the 16 bytes this reader takes (a state dict needs 8)',
    );
    // LONG4's 4-byte length is checked before anything is read or allocated.
    expect(refusal(op(0x8b, [0xff, 0xff, 0xff, 0x7f]))).toContain('a 2147483647-byte integer is wider');
  });

  it('quotes at most ~100 characters of a global or a memo index from the file', () => {
    const long = 'm'.repeat(200);
    const message = refusal(op(0x63, enc.encode(`${long}\nsystem\n`)));
    expect(message).toBe(
      `test.pkl: pickle byte 2: GLOBAL ${'m'.repeat(100)}… is not allowed; this reader only loads collections.OrderedDict, torch.FloatStorage`,
    );
    expect(refusal(op(0x67, enc.encode(`${'9'.repeat(150)}\n`)))).toBe(
      `test.pkl: pickle byte 2: memo index "${'9'.repeat(100)}…" is not a number`,
    );
  });
});
