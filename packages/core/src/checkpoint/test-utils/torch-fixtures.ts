import { strToU8, zipSync } from 'fflate';
import { DTYPE_SIZES, type WeightDType } from '../dtype.js';

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
  newTrue(): this {
    return this.raw(0x88);
  }
  none(): this {
    return this.raw(0x4e);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  appends(): this {
    return this.raw(0x65);
  }
  /** LONG1: a little-endian two's-complement integer of `length` bytes. */
  long1(value: bigint, length: number): this {
    const out: number[] = [];
    let v = BigInt.asUintN(8 * length, value);
    for (let i = 0; i < length; i++, v >>= 8n) out.push(Number(v & 0xffn));
    return this.raw(0x8a, length, ...out);
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
  /** Pre-1.6 format only: the tensor's storage is a view `(key, offset, size)` of storage `key`. */
  readonly view?: { readonly key: string; readonly offset: number; readonly size: number };
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
export function stateDictPickle(
  tensors: readonly FixtureTensor[],
  options: { format?: 'zip' | 'legacy' } = {},
): Uint8Array {
  const p = new PickleWriter().proto(2).emptyDict().mark();
  for (const t of tensors) {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark()
      .str('storage')
      .global('torch', t.storageType ?? 'FloatStorage')
      .str(t.key)
      .str('cpu')
      .int(t.numel);
    // The pre-1.6 format adds a sixth item: None, or (view_key, offset, size).
    if (options.format === 'legacy') {
      if (t.view === undefined) p.none();
      else p.mark().str(t.view.key).int(t.view.offset).int(t.view.size).tuple();
    }
    p.tuple().binPersId();
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

/**
 * A file in the pre-1.6 `torch.save` format, as issue 11 describes it: pickles of the magic number,
 * the protocol version (1001) and the sys-info dict, the state-dict pickle, a pickle of the storage
 * keys, then per key an 8-byte little-endian element count and the raw bytes.
 */
export function legacyTorchFile(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array>,
  options: { storageType?: Record<string, string>; littleEndian?: boolean; magic?: bigint } = {},
): Uint8Array {
  const magic = new PickleWriter()
    .proto(2)
    .long1(options.magic ?? 0x1950a86a20f9469cfc6cn, 10)
    .stop()
    .bytes();
  const protocol = new PickleWriter().proto(2).int(1001).stop().bytes();
  const info = new PickleWriter()
    .proto(2)
    .emptyDict()
    .mark()
    .str('protocol_version')
    .int(1001)
    .str('little_endian');
  (options.littleEndian === false ? info.newFalse() : info.newTrue())
    .str('type_sizes')
    .emptyDict()
    .mark()
    .str('short')
    .int(2)
    .str('int')
    .int(4)
    .str('long')
    .int(4)
    .setItems()
    .setItems()
    .stop();
  const keys = new PickleWriter().proto(2).emptyList().mark();
  for (const key of Object.keys(storages)) keys.str(key);
  const parts: Uint8Array[] = [magic, protocol, info.bytes(), pickle, keys.appends().stop().bytes()];
  for (const [key, data] of Object.entries(storages)) {
    const itemsize = STORAGE_ITEMSIZE[options.storageType?.[key] ?? 'FloatStorage'] ?? 4;
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigUint64(0, BigInt(data.length / itemsize), true);
    parts.push(count, data);
  }
  return concat(parts);
}

const STORAGE_OF: Partial<Record<WeightDType, string>> = {
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
  F64: 'DoubleStorage',
  I64: 'LongStorage',
  I32: 'IntStorage',
  U8: 'ByteStorage',
  I8: 'CharStorage',
  BOOL: 'BoolStorage',
};
const STORAGE_ITEMSIZE: Record<string, number> = Object.fromEntries(
  Object.entries(STORAGE_OF).map(([dtype, storage]) => [storage, DTYPE_SIZES[dtype as WeightDType]]),
);

/** What the writers below read of a checkpoint (the kit's goldens are built from the packages' dist). */
export interface CheckpointLike {
  names(): string[];
  get(name: string): {
    readonly dtype: WeightDType;
    readonly shape: readonly number[];
    readonly bytes: Uint8Array;
  };
}

/** A checkpoint written as `torch.save(state_dict)` would: the zip format or the pre-1.6 one. */
export function torchFileOf(
  checkpoint: CheckpointLike,
  format: 'zip' | 'legacy',
  names = checkpoint.names(),
): Uint8Array {
  const tensors: FixtureTensor[] = [];
  const storages: Record<string, Uint8Array> = {};
  const types: Record<string, string> = {};
  names.forEach((name, i) => {
    const t = checkpoint.get(name);
    const storageType = STORAGE_OF[t.dtype];
    if (storageType === undefined) throw new Error(`no torch storage for ${t.dtype}`);
    const key = String(i);
    const numel = t.bytes.length / DTYPE_SIZES[t.dtype];
    tensors.push({ name, key, numel, shape: t.shape, storageType });
    storages[key] = t.bytes.slice();
    types[key] = storageType;
  });
  const pickle = stateDictPickle(tensors, { format });
  return format === 'zip'
    ? torchZip(pickle, storages)
    : legacyTorchFile(pickle, storages, { storageType: types });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
