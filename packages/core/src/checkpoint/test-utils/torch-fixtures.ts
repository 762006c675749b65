import { strToU8, zipSync } from 'fflate';

/**
 * Writes pickle opcodes by name, so hand-made pickles in tests read like a disassembly
 * (`pickletools.dis` style) rather than a wall of hex.
 */
export class PickleWriter {
  readonly #out: number[] = [];

  bytes(): Uint8Array {
    return Uint8Array.from(this.#out);
  }
  raw(...bytes: number[]): this {
    this.#out.push(...bytes);
    return this;
  }
  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  mark(): this {
    return this.raw(0x28);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  /** BINUNICODE: 4-byte length, UTF-8. */
  str(text: string): this {
    const data = strToU8(text);
    return this.raw(0x58, ...u32(data.length), ...data);
  }
  /** SHORT_BINUNICODE (protocol 4). */
  shortStr(text: string): this {
    const data = strToU8(text);
    return this.raw(0x8c, data.length, ...data);
  }
  /** BININT1 / BININT2 / BININT as the value needs. */
  int(value: number): this {
    if (value >= 0 && value < 0x100) return this.raw(0x4b, value);
    if (value >= 0 && value < 0x10000) return this.raw(0x4d, value & 0xff, value >> 8);
    return this.raw(0x4a, ...u32(value >>> 0));
  }
  /** GLOBAL: `c module\nname\n`. */
  global(module: string, name: string): this {
    return this.raw(0x63, ...strToU8(`${module}\n${name}\n`));
  }
  tuple(): this {
    return this.raw(0x74);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  setItems(): this {
    return this.raw(0x75);
  }
  binPersId(): this {
    return this.raw(0x51);
  }
  newFalse(): this {
    return this.raw(0x89);
  }
}

function u32(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
}

/** One tensor of a synthetic torch state dict: a strided view into storage `key`. */
export interface FixtureTensor {
  readonly name: string;
  readonly storageType?: string;
  readonly key: string;
  readonly numel: number;
  readonly offset?: number;
  readonly shape: readonly number[];
  readonly stride?: readonly number[];
}

function rowMajorStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--)
    stride[d] = (stride[d + 1] as number) * (shape[d + 1] as number);
  return stride;
}

/**
 * The pickle `torch.save(state_dict)` writes (protocol 2, memo omitted):
 *   PROTO 2, EMPTY_DICT, MARK,
 *     per tensor: BINUNICODE name,
 *       GLOBAL torch._utils _rebuild_tensor_v2,
 *       MARK, MARK, 'storage', GLOBAL torch FloatStorage, key, 'cpu', numel, TUPLE, BINPERSID,
 *             offset, MARK sizes TUPLE, MARK strides TUPLE, NEWFALSE,
 *             GLOBAL collections OrderedDict, EMPTY_TUPLE, REDUCE, TUPLE, REDUCE,
 *   SETITEMS, STOP
 */
export function stateDictPickle(tensors: readonly FixtureTensor[]): Uint8Array {
  const p = new PickleWriter().proto(2).emptyDict().mark();
  for (const t of tensors) {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark()
      .str('storage')
      .global('torch', t.storageType ?? 'FloatStorage')
      .str(t.key)
      .str('cpu')
      .int(t.numel)
      .tuple()
      .binPersId();
    p.int(t.offset ?? 0).mark();
    for (const d of t.shape) p.int(d);
    p.tuple().mark();
    for (const s of t.stride ?? rowMajorStride(t.shape)) p.int(s);
    p.tuple().newFalse().global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  }
  return p.setItems().stop().bytes();
}

/** A zip laid out like torch's: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`, stored. */
export function torchZip(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array>,
  options: { prefix?: string; level?: 0 | 6 } = {},
): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const files: Record<string, Uint8Array> = { [`${prefix}/data.pkl`]: pickle };
  for (const [key, data] of Object.entries(storages)) files[`${prefix}/data/${key}`] = data;
  files[`${prefix}/version`] = strToU8('3\n');
  return zipSync(files, { level: options.level ?? 0 });
}

/** Little-endian bytes of float32 values. */
export function f32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
