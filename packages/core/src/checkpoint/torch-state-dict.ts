import { Checkpoint, formatShape, shapeSize, type WeightTensor } from './checkpoint.js';
import { DTYPE_SIZES, type WeightDType } from './dtype.js';
import { CheckpointError } from './errors.js';
import {
  describe,
  PickleDict,
  PickleGlobal,
  type PickleGlobalSpec,
  type PickleKey,
  PickleList,
  PickleOpaque,
  PickleTuple,
  type PickleValue,
} from './pickle.js';

// What both torch.save formats share: the storages and tensor views the state-dict pickle names,
// the allow-list of globals it may use, and turning views into row-major tensors. The zip format
// (pytorch-zip.ts) and the pre-1.6 format (pytorch-legacy.ts) differ only in where storages live.

/** Legacy storage classes that torch names in persistent ids, and the dtype each holds. */
export const STORAGE_DTYPES: Readonly<Record<string, WeightDType>> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/**
 * A storage named by a persistent id: `data/<key>` in the zip format; in the pre-1.6 format its
 * bytes follow the pickle, so they are set once read.
 */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: WeightDType,
    readonly numel: number,
    public bytes: Uint8Array,
  ) {}
}

/** What `_rebuild_tensor_v2` describes: a strided view of a storage. Materialised after unpickling. */
export class TensorView {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export function isCount(value: PickleValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function counts(value: PickleValue | undefined, what: string): number[] {
  if (!(value instanceof PickleTuple) || !value.items.every((x) => isCount(x))) {
    throw new Error(`${what} ${describe(value ?? null)} is not a tuple of non-negative integers`);
  }
  return value.items as number[];
}

/**
 * `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`,
 * or torch 0.4's `_rebuild_tensor(storage, storage_offset, size, stride)`.
 */
function rebuildTensor(args: readonly PickleValue[]): PickleValue {
  const [storage, offset, size, stride] = args;
  if (args.length !== 4 && (args.length < 6 || args.length > 7))
    throw new Error(`expected 4, 6 or 7 arguments, got ${args.length}`);
  if (!(storage instanceof PickleOpaque) || !(storage.value instanceof StorageRef)) {
    throw new Error(`argument 0 is ${describe(storage ?? null)}, not a storage`);
  }
  if (!isCount(offset))
    throw new Error(`storage offset ${describe(offset ?? null)} is not a non-negative integer`);
  const shape = counts(size, 'size');
  const strides = counts(stride, 'stride');
  if (strides.length !== shape.length)
    throw new Error(`size ${formatShape(shape)} and stride ${formatShape(strides)} differ in rank`);
  return new PickleOpaque(
    `tensor ${formatShape(shape)}`,
    new TensorView(storage.value, offset, shape, strides),
  );
}

/** `_rebuild_parameter(data, requires_grad, backward_hooks)`: a Parameter is just its tensor here. */
function rebuildParameter(args: readonly PickleValue[]): PickleValue {
  const data = args[0];
  if (args.length < 3 || !(data instanceof PickleOpaque) || !(data.value instanceof TensorView)) {
    throw new Error(`expected (tensor, requires_grad, hooks[, state]), got ${args.map(describe).join(', ')}`);
  }
  return data;
}

/** `OrderedDict()` or `OrderedDict([(key, value), ...])`. */
function orderedDict(args: readonly PickleValue[]): PickleValue {
  const dict = new PickleDict('OrderedDict');
  const items = args[0];
  if (
    args.length === 0 ||
    (args.length === 1 && (items instanceof PickleList || items instanceof PickleTuple))
  ) {
    for (const pair of items instanceof PickleList || items instanceof PickleTuple ? items.items : []) {
      const [key, value] = pair instanceof PickleTuple && pair.items.length === 2 ? pair.items : [];
      if (
        value === undefined ||
        !(key === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof key))
      ) {
        throw new Error(`item ${describe(pair)} is not a (key, value) pair`);
      }
      dict.entries.set(key as PickleKey, value);
    }
    return dict;
  }
  throw new Error(`expected no arguments or one list of pairs, got ${args.map(describe).join(', ')}`);
}

/** The allow-list: nothing outside it can be named by the pickle, let alone called. */
export const TORCH_GLOBALS: ReadonlyMap<string, PickleGlobalSpec> = new Map<string, PickleGlobalSpec>([
  ['collections.OrderedDict', { call: orderedDict }],
  ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
  ['torch._utils._rebuild_tensor', { call: rebuildTensor }],
  ['torch._utils._rebuild_parameter', { call: rebuildParameter }],
  ['torch._utils._rebuild_parameter_with_state', { call: rebuildParameter }],
  ...Object.keys(STORAGE_DTYPES).map((name): [string, PickleGlobalSpec] => [`torch.${name}`, {}]),
]);

/**
 * Turns a strided view into a row-major tensor: a view into the storage when it is contiguous,
 * else a copy charged to `budget`. Every index is checked to stay inside the storage, and every
 * product of size and stride to stay an exact integer, before anything is read or allocated.
 */
function materialize(
  name: string,
  view: TensorView,
  budget: { left: number },
  fail: (message: string, tensor?: string) => CheckpointError,
): WeightTensor {
  const { storage, offset, shape, stride } = view;
  const numel = shapeSize(shape); // exact or unsafe: the sizes are safe non-negative integers
  const itemsize = DTYPE_SIZES[storage.dtype];
  const layout = () => `view (offset ${offset}, size ${formatShape(shape)}, stride ${formatShape(stride)})`;
  if (!Number.isSafeInteger(numel)) throw fail(`shape ${formatShape(shape)} is too large`, name);
  if (numel === 0) return { name, dtype: storage.dtype, shape, bytes: new Uint8Array(0) };

  let last = offset;
  for (let d = 0; d < shape.length; d++) {
    last += ((shape[d] as number) - 1) * (stride[d] as number);
    // Each term is at most MAX_SAFE_INTEGER² < 2^107, so an overflow anywhere leaves `last` unsafe.
    if (!Number.isSafeInteger(last)) throw fail(`${layout()} reaches beyond any possible storage`, name);
  }
  if (last >= storage.numel) {
    throw fail(
      `${layout()} reaches element ${last} but storage "${storage.key}" holds ${storage.numel}`,
      name,
    );
  }

  if (isContiguous(shape, stride)) {
    const begin = offset * itemsize;
    return {
      name,
      dtype: storage.dtype,
      shape,
      bytes: storage.bytes.subarray(begin, begin + numel * itemsize),
    };
  }
  if (numel > storage.numel) {
    // Only overlapping strides (a stride-0 broadcast, as from expand()) fit more elements than the
    // storage holds; a state dict never saves one, and copying it could take any amount of memory.
    throw fail(
      `${layout()} has ${numel} elements but storage "${storage.key}" holds ${storage.numel}: ` +
        'its strides overlap (a broadcast view), which a state dict does not hold',
      name,
    );
  }
  const size = numel * itemsize;
  if (size > budget.left) {
    throw fail(
      `copying this ${layout()} into row-major order would exceed the budget for copied views ` +
        `(${budget.left} of its bytes left, ${size} needed)`,
      name,
    );
  }
  budget.left -= size;
  return { name, dtype: storage.dtype, shape, bytes: gather(view, numel, itemsize) };
}

/**
 * Copies a strided view into row-major order, a whole item at a time in the widest unit (4, 2 or 1
 * bytes) that the item size and the storage's alignment allow; the innermost dimension runs in a
 * tight loop, an odometer steps the outer ones.
 */
function gather(view: TensorView, numel: number, itemsize: number): Uint8Array {
  const { storage, offset, shape, stride } = view;
  const bytes = storage.bytes;
  const out = new Uint8Array(numel * itemsize);
  const unit =
    itemsize % 4 === 0 && bytes.byteOffset % 4 === 0
      ? 4
      : itemsize % 2 === 0 && bytes.byteOffset % 2 === 0
        ? 2
        : 1;
  const units = (array: Uint8Array) =>
    unit === 4
      ? new Uint32Array(array.buffer, array.byteOffset, array.length / 4)
      : unit === 2
        ? new Uint16Array(array.buffer, array.byteOffset, array.length / 2)
        : array;
  const from = units(bytes);
  const to = units(out);
  const per = itemsize / unit;

  const rank = shape.length;
  const inner = shape[rank - 1] as number;
  const innerStep = (stride[rank - 1] as number) * per;
  const index = new Array<number>(rank).fill(0);
  let base = offset * per;
  let o = 0;
  for (let row = numel / inner; row > 0; row--) {
    let at = base;
    if (per === 1) {
      for (let j = 0; j < inner; j++, at += innerStep) to[o++] = from[at] as number;
    } else {
      for (let j = 0; j < inner; j++, at += innerStep)
        for (let k = 0; k < per; k++) to[o++] = from[at + k] as number;
    }
    // Odometer over the outer dimensions, the last of them fastest.
    for (let d = rank - 2; d >= 0; d--) {
      const i = (index[d] as number) + 1;
      if (i < (shape[d] as number)) {
        index[d] = i;
        base += (stride[d] as number) * per;
        break;
      }
      index[d] = 0;
      base -= (i - 1) * (stride[d] as number) * per;
    }
  }
  return out;
}

/** Row-major layout, ignoring the stride of size-1 dimensions (torch leaves those arbitrary). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d] as number;
    if (size !== 1 && stride[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** Limits of {@link stateDictCheckpoint}. */
export interface StateDictOptions {
  /** See `ReadPytorchBinOptions.maxCopiedBytes`. */
  readonly maxCopiedBytes?: number | undefined;
}

/** Floor of the default copy budget for strided views. */
const MIN_COPY_BUDGET = 64 * 1024 * 1024;

/**
 * The checkpoint a state-dict pickle describes, once every storage it names has its bytes:
 * checks that the root maps names to tensors and materialises each view.
 */
export function stateDictCheckpoint(
  root: PickleValue,
  storages: ReadonlyMap<string, StorageRef>,
  file: string,
  pickleName: string,
  options: StateDictOptions = {},
): Checkpoint {
  const fail = (message: string, tensor?: string) =>
    new CheckpointError(message, tensor === undefined ? { file } : { file, tensor });
  if (!(root instanceof PickleDict)) {
    throw fail(`${pickleName} holds ${describe(root)}; expected a state dict (names → tensors)`);
  }
  let storageBytes = 0;
  for (const storage of storages.values()) storageBytes += storage.bytes.length;
  const budget = { left: options.maxCopiedBytes ?? Math.max(MIN_COPY_BUDGET, 2 * storageBytes) };
  const tensors: WeightTensor[] = [];
  for (const [name, value] of root.entries) {
    if (typeof name !== 'string') throw fail(`state dict key ${String(name)} is not a string`);
    if (!(value instanceof PickleOpaque) || !(value.value instanceof TensorView)) {
      throw fail(
        `is ${describe(value)}, not a tensor; only flat state dicts (names → tensors) are supported`,
        name,
      );
    }
    try {
      tensors.push(materialize(name, value.value, budget, fail));
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      // Whatever the engine throws (an allocation it refuses, say) still means a bad view.
      throw new CheckpointError(
        `could not be materialised: ${(error as Error).message}`,
        { file, tensor: name },
        { cause: error },
      );
    }
  }
  return new Checkpoint(tensors, { source: file });
}

/** A storage as a persistent id names it. */
export interface StorageId {
  readonly key: string;
  readonly dtype: WeightDType;
  readonly numel: number;
  /** The pre-1.6 format's sixth item: `None`, or `(view_key, offset, size)` for a view of the storage. */
  readonly view: PickleValue;
}

/**
 * Reads a persistent id: `('storage', type, key, location, numel)` in the zip format,
 * `('storage', type, key, location, numel, view)` in the pre-1.6 one; anything else is refused.
 */
export function readStorageId(
  pid: PickleValue,
  format: 'zip' | 'legacy',
  where: string,
  fail: (message: string) => CheckpointError,
): StorageId {
  const items = pid instanceof PickleTuple ? pid.items : [];
  const [tag, type, key, , numel, view = null] = items;
  const length = format === 'zip' ? 5 : 6;
  if (items.length !== length || tag !== 'storage') {
    throw fail(
      `${where}: persistent id ${describe(pid)} is not ('storage', type, key, location, numel${format === 'zip' ? '' : ', view'})`,
    );
  }
  const dtype =
    type instanceof PickleGlobal && type.module === 'torch' ? STORAGE_DTYPES[type.name] : undefined;
  if (dtype === undefined)
    throw fail(`${where}: persistent id names ${describe(type ?? null)}, not a torch storage type`);
  if (typeof key !== 'string') throw fail(`${where}: storage key ${describe(key ?? null)} is not a string`);
  if (!isCount(numel)) throw fail(`${where}: storage "${key}" has element count ${describe(numel ?? null)}`);
  return { key, dtype, numel, view };
}
