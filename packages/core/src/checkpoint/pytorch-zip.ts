import { strFromU8 } from 'fflate';
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
  unpickle,
} from './pickle.js';
import type { ReadCheckpointOptions } from './safetensors.js';
import { ZipArchive, type ZipEntry } from './zip-archive.js';

/** Options of {@link readPytorchBin}. */
export interface ReadPytorchBinOptions extends ReadCheckpointOptions {
  /**
   * Most bytes the zip members may declare in total once expanded; default
   * `max(64 MiB, 16 × file size)`. Torch stores members uncompressed, so real files sit near 1×.
   */
  readonly maxExpandedBytes?: number;
  /**
   * Most bytes `data.pkl` may hold once expanded; default 16 MiB. Torch writes about 100 bytes per
   * tensor, and each byte can make the unpickler allocate tens, so this is checked against the
   * declared size before anything is inflated (and inflation stops at the declared size).
   */
  readonly maxPickleBytes?: number;
  /**
   * Most bytes that copying non-contiguous views into row-major order may allocate, all tensors
   * together; default `max(64 MiB, 2 × the bytes of the storages the pickle references)`. A real
   * state dict copies each storage at most once (a transposed or sliced parameter), often never.
   */
  readonly maxCopiedBytes?: number;
  /** Check the CRC-32 of every member read (default true); see {@link ZipArchive.read}. */
  readonly verifyChecksums?: boolean;
}

/** Default of {@link ReadPytorchBinOptions.maxPickleBytes}. */
const MAX_PICKLE_BYTES = 16 * 1024 * 1024;
/** Floor of the default {@link ReadPytorchBinOptions.maxCopiedBytes}. */
const MIN_COPY_BUDGET = 64 * 1024 * 1024;

/** Legacy storage classes that torch names in persistent ids, and the dtype each holds. */
const STORAGE_DTYPES: Readonly<Record<string, WeightDType>> = {
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

/** A `data/<key>` storage named by a persistent id. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: WeightDType,
    readonly numel: number,
    readonly bytes: Uint8Array,
  ) {}
}

/** What `_rebuild_tensor_v2` describes: a strided view of a storage. Materialised after unpickling. */
class TensorView {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

/**
 * Reads a PyTorch checkpoint (`pytorch_model.bin` as `torch.save` writes it since torch 1.6: a zip
 * holding `<archive>/data.pkl` and one `<archive>/data/<key>` member per storage). The pickle is
 * interpreted by a restricted reader that only knows `collections.OrderedDict`,
 * `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter`,
 * `torch._utils._rebuild_parameter_with_state` and the `torch.*Storage` classes; nothing in the
 * file is ever executed. The top-level object must map names to tensors (a state dict).
 * Contiguous tensors are views into `bytes`; strided views are copied into row-major order.
 *
 * A hostile file costs bounded time and memory: the zip members' expanded sizes, data.pkl's size,
 * what the unpickler builds (`DEFAULT_UNPICKLE_LIMITS` in pickle.ts) and the bytes copied for strided views
 * are all capped, and every member's CRC-32 is checked; anything out of bounds is a
 * {@link CheckpointError} naming the file, member or tensor.
 *
 * @example
 * const ckpt = readPytorchBin(bytes, { source: 'pytorch_model.bin' });
 */
export function readPytorchBin(bytes: Uint8Array, options: ReadPytorchBinOptions = {}): Checkpoint {
  const file = options.source ?? 'PyTorch data';
  const fail = (message: string, tensor?: string) =>
    new CheckpointError(message, tensor === undefined ? { file } : { file, tensor });

  if (bytes[0] === 0x80) {
    throw fail(
      'legacy torch serialization (a bare pickle, from torch < 1.6 or _use_new_zipfile_serialization=False) is not supported; ' +
        're-save with a current torch (torch.save(..., _use_new_zipfile_serialization=True)) or convert to safetensors',
    );
  }
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw fail(
      'is not a PyTorch checkpoint: expected a zip archive (starting with "PK") as torch.save writes',
    );
  }
  const maxTotalSize = options.maxExpandedBytes ?? Math.max(64 * 1024 * 1024, 16 * bytes.length);
  const zip = ZipArchive.open(bytes, file, { maxTotalSize });
  const verify = options.verifyChecksums !== false;

  const pickles = zip.names().filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  const pickleName = pickles[0];
  if (pickleName === undefined || pickles.length > 1) {
    throw fail(
      pickles.length > 1
        ? `holds several top-level data.pkl members (${pickles.join(', ')}); expected one`
        : 'is a zip but not a torch checkpoint: it has no <archive>/data.pkl member',
    );
  }
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorder = zip.entry(`${prefix}byteorder`);
  if (byteorder !== undefined) {
    const order = strFromU8(zip.read(`${prefix}byteorder`, { verify })).trim();
    if (order !== 'little')
      throw fail(`was saved with byteorder "${order}"; only little-endian checkpoints are supported`);
  }

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const items = pid instanceof PickleTuple ? pid.items : [];
    const [tag, type, key, , numel] = items;
    if (items.length !== 5 || tag !== 'storage') {
      throw fail(
        `${pickleName}: persistent id ${describe(pid)} is not ('storage', type, key, location, numel)`,
      );
    }
    const dtype =
      type instanceof PickleGlobal && type.module === 'torch' ? STORAGE_DTYPES[type.name] : undefined;
    if (dtype === undefined)
      throw fail(`${pickleName}: persistent id names ${describe(type ?? null)}, not a torch storage type`);
    if (typeof key !== 'string')
      throw fail(`${pickleName}: storage key ${describe(key ?? null)} is not a string`);
    if (!isCount(numel))
      throw fail(`${pickleName}: storage "${key}" has element count ${describe(numel ?? null)}`);
    const known = storages.get(key);
    if (known !== undefined) {
      if (known.dtype !== dtype || known.numel !== numel) {
        throw fail(
          `storage "${key}" is referenced as both ${known.dtype}×${known.numel} and ${dtype}×${numel}`,
        );
      }
      return new PickleOpaque(`storage ${key}`, known);
    }
    const member = `${prefix}data/${key}`;
    if (zip.entry(member) === undefined)
      throw fail(`the pickle refers to storage "${key}" but the archive has no ${member}`);
    const data = zip.read(member, { verify });
    const expected = numel * DTYPE_SIZES[dtype];
    if (data.length !== expected) {
      throw fail(`storage ${member} holds ${data.length} bytes; ${numel} × ${dtype} needs ${expected}`);
    }
    const storage = new StorageRef(key, dtype, numel, data);
    storages.set(key, storage);
    return new PickleOpaque(`storage ${key}`, storage);
  };

  const maxPickleBytes = options.maxPickleBytes ?? MAX_PICKLE_BYTES;
  const pickleSize = (zip.entry(pickleName) as ZipEntry).size;
  if (pickleSize > maxPickleBytes) {
    throw fail(
      `${pickleName} declares ${pickleSize} bytes; the limit is ${maxPickleBytes} (a state dict's pickle ` +
        'takes about 100 bytes per tensor), so it is refused unread (a pickle bomb?)',
    );
  }
  const root = unpickle(zip.read(pickleName, { verify }), {
    source: `${file}: ${pickleName}`,
    globals: TORCH_GLOBALS,
    persistentLoad,
  });
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

function isCount(value: PickleValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function counts(value: PickleValue | undefined, what: string): number[] {
  if (!(value instanceof PickleTuple) || !value.items.every((x) => isCount(x))) {
    throw new Error(`${what} ${describe(value ?? null)} is not a tuple of non-negative integers`);
  }
  return value.items as number[];
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: readonly PickleValue[]): PickleValue {
  const [storage, offset, size, stride] = args;
  if (args.length < 6 || args.length > 7) throw new Error(`expected 6 or 7 arguments, got ${args.length}`);
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
const TORCH_GLOBALS: ReadonlyMap<string, PickleGlobalSpec> = new Map<string, PickleGlobalSpec>([
  ['collections.OrderedDict', { call: orderedDict }],
  ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
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
