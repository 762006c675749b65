import { strFromU8 } from 'fflate';
import { CheckpointError } from './errors.js';

/**
 * A restricted pickle reader: a data interpreter for the subset of the pickle format that
 * `torch.save` writes, never a code runner. Globals are looked up in an allow-list supplied by the
 * caller; anything else (an unknown GLOBAL or STACK_GLOBAL, INST, OBJ, NEWOBJ, extension codes,
 * REDUCE on something that is not an allowed callable) stops the read with a {@link CheckpointError}
 * naming the opcode and the global, at the point it is met and before any later opcode is read.
 */

/** A Python tuple. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A Python list (mutable while unpickling: APPEND/APPENDS fill it). */
export class PickleList {
  readonly items: PickleValue[] = [];
}

/** Keys a {@link PickleDict} can hold: the hashable Python scalars. */
export type PickleKey = string | number | bigint | boolean | null;

/** A Python dict or `collections.OrderedDict` (insertion order is kept either way). */
export class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>();
  constructor(readonly className: 'dict' | 'OrderedDict' = 'dict') {}
}

/** A reference to an allowed global (a function or class), as pushed by GLOBAL / STACK_GLOBAL. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A value made by the caller (for example a tensor view), carried through the pickle untouched. */
export class PickleOpaque<T = unknown> {
  constructor(
    readonly description: string,
    readonly value: T,
  ) {}
}

/** Every value the reader can produce. Python ints are numbers when safe, bigints otherwise. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleTuple
  | PickleList
  | PickleDict
  | PickleGlobal
  | PickleOpaque;

/** What an allowed global may do when a REDUCE applies it to arguments. */
export interface PickleGlobalSpec {
  /** Builds the result from the argument tuple; absent for globals only used as values (storage types). */
  readonly call?: (args: readonly PickleValue[]) => PickleValue;
}

/**
 * Caps on what one pickle may build. Each opcode costs a byte or two of pickle but tens of bytes of
 * heap, so without them a few megabytes of EMPTY_LIST (and a zip that deflates them 1000 : 1)
 * exhaust the JavaScript heap. A torch state dict pushes about 21 values per tensor (and writes about
 * 100 bytes), so the defaults leave room for some 47 000 tensors in one file: ample for a checkpoint
 * (a sharded one keeps a few thousand per shard), while a bomb stops within about 100 MB of heap.
 */
export interface UnpickleLimits {
  /** Values pushed on the stack, counting memo fetches and DUP (each is a reference to keep). */
  readonly maxValues: number;
  /** Memo entries. */
  readonly maxMemo: number;
  /** MARKs open at once (torch nests them about 3 deep). */
  readonly maxMarkDepth: number;
}

/** The limits {@link unpickle} applies unless told otherwise. */
export const DEFAULT_UNPICKLE_LIMITS: UnpickleLimits = {
  maxValues: 1_000_000,
  maxMemo: 500_000,
  maxMarkDepth: 1_000,
};

/** Inputs of {@link unpickle}. */
export interface UnpickleOptions {
  /** Name of the pickle for messages, for example `pytorch_model.bin: archive/data.pkl`. */
  readonly source: string;
  /** The only globals that may be loaded, keyed by `module.name`. */
  readonly globals: ReadonlyMap<string, PickleGlobalSpec>;
  /** Resolves a BINPERSID / PERSID id (torch: a storage reference); without it those opcodes are refused. */
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Overrides of {@link DEFAULT_UNPICKLE_LIMITS}. */
  readonly limits?: Partial<UnpickleLimits>;
}

/** Pickle opcodes by name (protocols 0–5), including the refused ones so a refusal can say what it saw. */
const OP = {
  MARK: 0x28,
  EMPTY_TUPLE: 0x29,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  FLOAT: 0x46,
  BINFLOAT: 0x47,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  PERSID: 0x50,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  OBJ: 0x6f,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  EXT1: 0x82,
  EXT2: 0x83,
  EXT4: 0x84,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97,
  READONLY_BUFFER: 0x98,
} as const;

/** Opcode names for messages. */
const OPCODE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(OP).map(([name, code]) => [code, name]),
);

/**
 * The widest integer LONG1 / LONG4 may carry, in bytes. A state dict needs 64 bits at most; the
 * bound is 128 because torch's legacy format opens with a 76-bit magic number. Wider ones would
 * cost quadratic time to convert (and a megabyte-long number has no place in a checkpoint).
 */
const MAX_INT_BYTES = 16;
/** The most decimal digits of a text integer (INT, LONG): 2^128 has 39. */
const MAX_INT_DIGITS = 39;
/**
 * The longest newline-terminated argument read (a GLOBAL's module or name, a text number, a memo
 * index, a persistent id): the search for its newline stops here, so a pickle without one costs
 * no more than this to refuse.
 */
const MAX_LINE_BYTES = 256;
/** Values from the file are quoted in messages up to this many characters. */
const MAX_QUOTED = 100;

/** Why each never-supported opcode is refused, for the error message. */
const REFUSED: ReadonlyMap<number, string> = new Map([
  [OP.INST, 'instantiates an arbitrary class'],
  [OP.OBJ, 'instantiates an arbitrary class'],
  [OP.NEWOBJ, 'instantiates an arbitrary class'],
  [OP.NEWOBJ_EX, 'instantiates an arbitrary class'],
  [OP.EXT1, 'loads a global through the extension registry'],
  [OP.EXT2, 'loads a global through the extension registry'],
  [OP.EXT4, 'loads a global through the extension registry'],
  [OP.NEXT_BUFFER, 'needs out-of-band buffers'],
  [OP.READONLY_BUFFER, 'needs out-of-band buffers'],
]);

/**
 * Reads one pickle and returns the value STOP leaves on the stack.
 *
 * @example
 * unpickle(new Uint8Array([0x80, 0x02, 0x4b, 0x07, 0x2e]), { source: 'x.pkl', globals: new Map() }); // 7
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  try {
    return new Unpickler(bytes, options).run();
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    // A resource failure (for example a stack too large for the engine) is still a bad file.
    throw new CheckpointError(
      `pickle could not be read: ${(error as Error).message}`,
      { file: options.source },
      { cause: error },
    );
  }
}

/**
 * Reads the pickle that starts at byte `start` of `bytes` and says where it ended: for files that
 * hold several pickles in a row, as the pre-1.6 `torch.save` format does.
 *
 * @example
 * const { value: magic, end } = unpickleAt(bytes, 0, { source: 'pytorch_model.bin', globals: new Map() });
 */
export function unpickleAt(
  bytes: Uint8Array,
  start: number,
  options: UnpickleOptions,
): { value: PickleValue; end: number } {
  const reader = new Unpickler(bytes, options, start);
  try {
    return { value: reader.run(), end: reader.position };
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(
      `pickle could not be read: ${(error as Error).message}`,
      { file: options.source },
      { cause: error },
    );
  }
}

class Unpickler {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #options: UnpickleOptions;
  #pos = 0;
  #opStart = 0;
  #stack: PickleValue[] = [];
  readonly #marks: PickleValue[][] = [];
  readonly #memo = new Map<number, PickleValue>();
  readonly #limits: UnpickleLimits;
  #values = 0;

  constructor(bytes: Uint8Array, options: UnpickleOptions, start = 0) {
    this.#bytes = bytes;
    this.#pos = start;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#options = options;
    this.#limits = { ...DEFAULT_UNPICKLE_LIMITS, ...options.limits };
  }

  /** The byte after the last one read (after STOP once {@link run} returns). */
  get position(): number {
    return this.#pos;
  }

  #fail(message: string): CheckpointError {
    return new CheckpointError(`pickle byte ${this.#opStart}: ${message}`, { file: this.#options.source });
  }

  #need(n: number): number {
    if (n > this.#bytes.length - this.#pos) {
      throw this.#fail(`needs ${n} more bytes but the pickle ends at byte ${this.#bytes.length} (truncated)`);
    }
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  #u8(): number {
    return this.#bytes[this.#need(1)] as number;
  }
  #u16(): number {
    return this.#view.getUint16(this.#need(2), true);
  }
  #u32(): number {
    return this.#view.getUint32(this.#need(4), true);
  }
  #u64(): number {
    const value = this.#view.getBigUint64(this.#need(8), true);
    if (value > BigInt(this.#bytes.length))
      throw this.#fail(`length ${value} is larger than the whole pickle`);
    return Number(value);
  }
  #take(n: number): Uint8Array {
    const at = this.#need(n);
    return this.#bytes.subarray(at, at + n);
  }
  #line(): string {
    const window = this.#bytes.subarray(this.#pos, this.#pos + MAX_LINE_BYTES + 1);
    const found = window.indexOf(0x0a);
    if (found < 0) {
      throw this.#fail(
        window.length > MAX_LINE_BYTES
          ? `a newline-terminated argument runs past ${MAX_LINE_BYTES} bytes (${quote(`${strFromU8(window.subarray(0, MAX_QUOTED), true)}…`)}), longer than any this reader uses`
          : 'a newline-terminated argument is missing (truncated)',
      );
    }
    const end = this.#pos + found;
    const text = strFromU8(this.#bytes.subarray(this.#pos, end), true);
    this.#pos = end + 1;
    return text;
  }

  #push(value: PickleValue): void {
    if (++this.#values > this.#limits.maxValues) {
      throw this.#fail(
        `the pickle builds more than ${this.#limits.maxValues} values, the limit for a state dict (a pickle bomb?)`,
      );
    }
    this.#stack.push(value);
  }
  #mark(): void {
    if (this.#marks.length >= this.#limits.maxMarkDepth) {
      throw this.#fail(
        `MARKs nest more than ${this.#limits.maxMarkDepth} deep, the limit for a state dict (a pickle bomb?)`,
      );
    }
    this.#marks.push(this.#stack);
    this.#stack = [];
  }
  #memoSet(index: number, value: PickleValue): void {
    if (this.#memo.size >= this.#limits.maxMemo && !this.#memo.has(index)) {
      throw this.#fail(
        `the memo grows past ${this.#limits.maxMemo} entries, the limit for a state dict (a pickle bomb?)`,
      );
    }
    this.#memo.set(index, value);
  }
  #pop(): PickleValue {
    if (this.#stack.length === 0) throw this.#fail('the stack is empty (malformed pickle)');
    return this.#stack.pop() as PickleValue;
  }
  #top(): PickleValue {
    if (this.#stack.length === 0) throw this.#fail('the stack is empty (malformed pickle)');
    return this.#stack[this.#stack.length - 1] as PickleValue;
  }
  #popMark(): PickleValue[] {
    const items = this.#stack;
    const previous = this.#marks.pop();
    if (previous === undefined) throw this.#fail('no MARK to pop to (malformed pickle)');
    this.#stack = previous;
    return items;
  }
  #memoGet(index: number): PickleValue {
    if (!this.#memo.has(index)) throw this.#fail(`memo slot ${index} was never stored`);
    return this.#memo.get(index) as PickleValue;
  }

  #global(module: string, name: string, opcode: string): PickleGlobal {
    const key = `${module}.${name}`;
    if (!this.#options.globals.has(key)) {
      const allowed = [...this.#options.globals.keys()].join(', ');
      throw this.#fail(`${opcode} ${cut(key)} is not allowed; this reader only loads ${allowed}`);
    }
    return new PickleGlobal(module, name);
  }

  run(): PickleValue {
    const bytes = this.#bytes;
    while (true) {
      this.#opStart = this.#pos;
      if (this.#pos >= bytes.length) throw this.#fail('the pickle ends without STOP (truncated)');
      const op = this.#u8();
      switch (op) {
        case OP.PROTO: {
          const protocol = this.#u8();
          if (protocol > 5) throw this.#fail(`pickle protocol ${protocol} is newer than the supported 0–5`);
          break;
        }
        case OP.FRAME: // framing is only a read-ahead hint
          this.#need(8);
          break;
        case OP.STOP:
          if (this.#marks.length > 0) throw this.#fail('STOP inside an unclosed MARK (malformed pickle)');
          return this.#pop();
        case OP.MARK:
          this.#mark();
          break;
        case OP.POP:
          this.#pop();
          break;
        case OP.POP_MARK:
          this.#popMark();
          break;
        case OP.DUP:
          this.#push(this.#top());
          break;

        case OP.NONE:
          this.#push(null);
          break;
        case OP.NEWTRUE:
          this.#push(true);
          break;
        case OP.NEWFALSE:
          this.#push(false);
          break;
        case OP.BININT:
          this.#push(this.#view.getInt32(this.#need(4), true));
          break;
        case OP.BININT1:
          this.#push(this.#u8());
          break;
        case OP.BININT2:
          this.#push(this.#u16());
          break;
        case OP.LONG1:
          this.#push(this.#long(this.#u8()));
          break;
        case OP.LONG4:
          this.#push(this.#long(this.#u32()));
          break;
        case OP.INT: {
          // Protocol 0 spells booleans as INT 01 / 00.
          const text = this.#line();
          this.#push(text === '01' ? true : text === '00' ? false : this.#textInt(text));
          break;
        }
        case OP.LONG:
          this.#push(this.#textInt(this.#line().replace(/L$/, '')));
          break;
        case OP.BINFLOAT:
          this.#push(this.#view.getFloat64(this.#need(8), false));
          break; // BINFLOAT (big-endian)
        case OP.FLOAT: {
          const text = this.#line();
          const value = Number(text);
          if (text.trim() === '' || (Number.isNaN(value) && !/nan/i.test(text)))
            throw this.#fail(`FLOAT ${quote(text)} is not a number`);
          this.#push(value);
          break;
        }

        case OP.BINUNICODE:
          this.#push(strFromU8(this.#take(this.#u32())));
          break;
        case OP.SHORT_BINUNICODE:
          this.#push(strFromU8(this.#take(this.#u8())));
          break;
        case OP.BINUNICODE8:
          this.#push(strFromU8(this.#take(this.#u64())));
          break;
        // Python 2 byte strings: torch state dicts never hold them, but decoding is harmless.
        case OP.BINSTRING:
          this.#push(strFromU8(this.#take(this.#u32()), true));
          break;
        case OP.SHORT_BINSTRING:
          this.#push(strFromU8(this.#take(this.#u8()), true));
          break;
        case OP.BINBYTES:
          this.#push(this.#take(this.#u32()).slice());
          break;
        case OP.SHORT_BINBYTES:
          this.#push(this.#take(this.#u8()).slice());
          break;
        case OP.BINBYTES8:
          this.#push(this.#take(this.#u64()).slice());
          break;
        case OP.BYTEARRAY8:
          this.#push(this.#take(this.#u64()).slice());
          break;

        case OP.EMPTY_TUPLE:
          this.#push(new PickleTuple([]));
          break;
        case OP.TUPLE1:
          this.#push(new PickleTuple([this.#pop()]));
          break;
        case OP.TUPLE2: {
          const b = this.#pop();
          this.#push(new PickleTuple([this.#pop(), b]));
          break;
        }
        case OP.TUPLE3: {
          const c = this.#pop();
          const b = this.#pop();
          this.#push(new PickleTuple([this.#pop(), b, c]));
          break;
        }
        case OP.TUPLE:
          this.#push(new PickleTuple(this.#popMark()));
          break;
        case OP.EMPTY_LIST:
          this.#push(new PickleList());
          break;
        case OP.LIST: {
          const list = new PickleList();
          for (const item of this.#popMark()) list.items.push(item);
          this.#push(list);
          break;
        }
        case OP.EMPTY_DICT:
          this.#push(new PickleDict());
          break;
        case OP.DICT: {
          const dict = new PickleDict();
          this.#setItems(dict, this.#popMark());
          this.#push(dict);
          break;
        }
        case OP.APPEND: {
          const item = this.#pop();
          this.#list(this.#top(), 'APPEND').items.push(item);
          break;
        }
        case OP.APPENDS: {
          const items = this.#popMark();
          const list = this.#list(this.#top(), 'APPENDS');
          for (const item of items) list.items.push(item);
          break;
        }
        case OP.SETITEM: {
          const value = this.#pop();
          const key = this.#pop();
          this.#setItems(this.#dict(this.#top(), 'SETITEM'), [key, value]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.#popMark();
          this.#setItems(this.#dict(this.#top(), 'SETITEMS'), items);
          break;
        }

        case OP.BINPUT:
          this.#memoSet(this.#u8(), this.#top());
          break;
        case OP.LONG_BINPUT:
          this.#memoSet(this.#u32(), this.#top());
          break;
        case OP.PUT:
          this.#memoSet(this.#memoIndex(this.#line()), this.#top());
          break;
        case OP.MEMOIZE:
          this.#memoSet(this.#memo.size, this.#top());
          break;
        case OP.BINGET:
          this.#push(this.#memoGet(this.#u8()));
          break;
        case OP.LONG_BINGET:
          this.#push(this.#memoGet(this.#u32()));
          break;
        case OP.GET:
          this.#push(this.#memoGet(this.#memoIndex(this.#line())));
          break;

        case OP.GLOBAL: {
          const module = this.#line();
          const name = this.#line();
          this.#push(this.#global(module, name, 'GLOBAL'));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.#pop();
          const module = this.#pop();
          if (typeof module !== 'string' || typeof name !== 'string') {
            throw this.#fail(`STACK_GLOBAL needs two strings, got ${describe(module)} and ${describe(name)}`);
          }
          this.#push(this.#global(module, name, 'STACK_GLOBAL'));
          break;
        }
        case OP.REDUCE: {
          const args = this.#pop();
          const callable = this.#pop();
          this.#push(this.#reduce(callable, args));
          break;
        }
        case OP.BUILD: {
          const state = this.#pop();
          this.#build(this.#top(), state);
          break;
        }
        case OP.BINPERSID:
          this.#push(this.#persistent(this.#pop()));
          break;
        case OP.PERSID:
          this.#push(this.#persistent(this.#line()));
          break;

        case OP.INST: {
          // name the class it would have created
          const module = this.#line();
          const name = this.#line();
          throw this.#fail(`INST ${cut(`${module}.${name}`)} refused: the opcode ${REFUSED.get(op)}`);
        }
        case OP.OBJ: {
          const items = this.#popMark();
          throw this.#fail(`OBJ ${describe(items[0] ?? null)} refused: the opcode ${REFUSED.get(op)}`);
        }
        case OP.NEWOBJ: {
          this.#pop();
          throw this.#fail(`NEWOBJ ${describe(this.#pop())} refused: the opcode ${REFUSED.get(op)}`);
        }
        case OP.NEWOBJ_EX: {
          this.#pop();
          this.#pop();
          throw this.#fail(`NEWOBJ_EX ${describe(this.#pop())} refused: the opcode ${REFUSED.get(op)}`);
        }
        default: {
          const name = OPCODE_NAMES.get(op);
          const why =
            REFUSED.get(op) ??
            'is not used by torch state dicts and is not supported by this restricted reader';
          throw this.#fail(
            name === undefined
              ? `unknown opcode 0x${hex(op)}: not a pickle, or corrupt`
              : `opcode ${name} (0x${hex(op)}) refused: it ${why}`,
          );
        }
      }
    }
  }

  #long(length: number): number | bigint {
    if (length > MAX_INT_BYTES) {
      throw this.#fail(
        `a ${length}-byte integer is wider than the ${MAX_INT_BYTES} bytes this reader takes (a state dict needs 8)`,
      );
    }
    const data = this.#take(length);
    if (length === 0) return 0;
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i] as number);
    if ((data[length - 1] as number) & 0x80) value -= 1n << BigInt(8 * length); // two's complement
    return Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value ? Number(value) : value;
  }

  #textInt(text: string): number | bigint {
    if (!/^[+-]?\d+$/.test(text)) throw this.#fail(`${quote(text)} is not an integer`);
    if (text.replace(/^[+-]?0*/, '').length > MAX_INT_DIGITS) {
      throw this.#fail(
        `${quote(text)} has more than ${MAX_INT_DIGITS} digits, wider than this reader takes (a state dict needs 64 bits)`,
      );
    }
    const value = BigInt(text);
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }

  #memoIndex(text: string): number {
    if (!/^\d{1,10}$/.test(text)) throw this.#fail(`memo index ${quote(text)} is not a number`);
    return Number(text);
  }

  #list(target: PickleValue, opcode: string): PickleList {
    if (!(target instanceof PickleList))
      throw this.#fail(`${opcode} needs a list, found ${describe(target)}`);
    return target;
  }

  #dict(target: PickleValue, opcode: string): PickleDict {
    if (!(target instanceof PickleDict))
      throw this.#fail(`${opcode} needs a dict, found ${describe(target)}`);
    return target;
  }

  #setItems(dict: PickleDict, items: readonly PickleValue[]): void {
    if (items.length % 2 !== 0) throw this.#fail('dict items come in key/value pairs; got an odd count');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i] as PickleValue;
      if (!isKey(key)) throw this.#fail(`dict key ${describe(key)} is not a string, number, bool or None`);
      dict.entries.set(key, items[i + 1] as PickleValue);
    }
  }

  #reduce(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PickleGlobal))
      throw this.#fail(`REDUCE on ${describe(callable)}, which is not an allowed callable`);
    const call = this.#options.globals.get(callable.qualifiedName)?.call;
    if (call === undefined)
      throw this.#fail(`REDUCE on ${callable.qualifiedName}, which may be referenced but not called`);
    if (!(args instanceof PickleTuple))
      throw this.#fail(
        `REDUCE arguments for ${callable.qualifiedName} must be a tuple, got ${describe(args)}`,
      );
    try {
      return call(args.items);
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw this.#fail(`${callable.qualifiedName}: ${(error as Error).message}`);
    }
  }

  /**
   * BUILD sets an object's state. The only use in a state dict is the `_metadata` attribute that
   * `nn.Module.state_dict()` attaches to its OrderedDict; that is dropped. Any other non-empty
   * state would mean a custom object, which is refused.
   */
  #build(target: PickleValue, state: PickleValue): void {
    if (isEmptyState(state)) return;
    if (target instanceof PickleDict && target.className === 'OrderedDict' && state instanceof PickleDict)
      return;
    throw this.#fail(`BUILD with state ${describe(state)} on ${describe(target)} is not supported`);
  }

  #persistent(pid: PickleValue): PickleValue {
    const load = this.#options.persistentLoad;
    if (load === undefined) throw this.#fail('persistent ids are not allowed in this pickle');
    return load(pid);
  }
}

function isKey(value: PickleValue): value is PickleKey {
  return value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value);
}

function isEmptyState(state: PickleValue): boolean {
  return (
    state === null ||
    (state instanceof PickleDict && state.entries.size === 0) ||
    (state instanceof PickleTuple && state.items.length === 0)
  );
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

/** Text from the file for a message, cut to ~100 characters. */
function cut(text: string): string {
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text;
}

/** Text from the file for a message: JSON-quoted, cut to ~100 characters. */
function quote(text: string): string {
  return JSON.stringify(cut(text));
}

/** A short description of a value for messages. */
export function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'string')
    return `str ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (typeof value === 'number' && !Number.isInteger(value)) return `float ${value}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `int ${value}`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof Uint8Array) return `bytes (${value.length})`;
  if (value instanceof PickleTuple) return `tuple of ${value.items.length}`;
  if (value instanceof PickleList) return `list of ${value.items.length}`;
  if (value instanceof PickleDict) return `${value.className} of ${value.entries.size}`;
  if (value instanceof PickleGlobal) return value.qualifiedName;
  return value.description;
}
