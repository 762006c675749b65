import { fileLimits } from '../io/file-policy.js';
import type { Checkpoint } from './checkpoint.js';
import { DTYPE_SIZES } from './dtype.js';
import { CheckpointError } from './errors.js';
import {
  describe,
  PickleDict,
  PickleList,
  PickleOpaque,
  PickleTuple,
  type PickleValue,
  unpickleAt,
} from './pickle.js';
import type { ReadPytorchBinOptions } from './pytorch-zip.js';
import {
  isCount,
  readStorageId,
  StorageRef,
  stateDictCheckpoint,
  TORCH_GLOBALS,
} from './torch-state-dict.js';

/** The number `torch.save` pickles first in its pre-1.6 format. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
/** The format version it pickles next. */
const LEGACY_PROTOCOL = 1001;
/** The small pickles before the state dict (magic, version, sys info) are a few dozen bytes each. */
const MAX_HEADER_PICKLE_BYTES = 64 * 1024;

/** A storage that is a view of another (`view_key`, `offset`, `size` in the persistent id). */
interface PendingView {
  readonly view: StorageRef;
  readonly root: StorageRef;
  readonly offset: number;
}

/**
 * Reads the pre-1.6 `torch.save` format (also what `_use_new_zipfile_serialization=False` writes):
 * a pickled magic number (0x1950a86a20f9469cfc6c), a pickled protocol version (1001), a pickled
 * sys-info dict (`little_endian`, type sizes), the state-dict pickle whose persistent ids name
 * storages as `('storage', type, key, location, numel, view)`, a pickled list of storage keys, then
 * for each key an 8-byte little-endian element count followed by the storage's raw little-endian
 * bytes. The state dict goes through the same restricted unpickler and limits as the zip format;
 * each pickle may span at most `maxPickleBytes`, every count must match its persistent id and fit
 * in the file, and every storage the pickle names must be in the file.
 */
export function readLegacyTorch(bytes: Uint8Array, options: ReadPytorchBinOptions = {}): Checkpoint {
  const file = options.source ?? 'PyTorch data';
  const fail = (message: string) => new CheckpointError(message, { file });
  const maxPickleBytes = options.maxPickleBytes ?? fileLimits(options.limits).maxPickleBytes;
  let pos = 0;

  const storages = new Map<string, StorageRef>();
  const views: PendingView[] = [];
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const id = readStorageId(pid, 'legacy', 'state dict', fail);
    let root = storages.get(id.key);
    if (root === undefined) {
      root = new StorageRef(id.key, id.dtype, id.numel, new Uint8Array(0));
      storages.set(id.key, root);
    } else if (root.dtype !== id.dtype || root.numel !== id.numel) {
      throw fail(
        `storage "${id.key}" is referenced as both ${root.dtype}×${root.numel} and ${id.dtype}×${id.numel}`,
      );
    }
    if (id.view === null) return new PickleOpaque(`storage ${id.key}`, root);
    const [viewKey, offset, size] = id.view instanceof PickleTuple ? id.view.items : [];
    if (typeof viewKey !== 'string' || !isCount(offset) || !isCount(size) || offset + size > root.numel) {
      throw fail(
        `state dict: view ${describe(id.view)} of storage "${id.key}" is not (key, offset, size) inside its ${root.numel} elements`,
      );
    }
    const view = new StorageRef(viewKey, root.dtype, size, new Uint8Array(0));
    views.push({ view, root, offset });
    return new PickleOpaque(`storage ${viewKey}`, view);
  };

  /** The next pickle of the file, read from a window of at most `limit` bytes. */
  const next = (what: string, limit: number, load?: (pid: PickleValue) => PickleValue): PickleValue => {
    const window = bytes.subarray(pos, Math.min(bytes.length, pos + limit));
    try {
      const { value, end } = unpickleAt(window, 0, {
        source: `${file}: ${what} (byte ${pos})`,
        globals: load === undefined ? new Map() : TORCH_GLOBALS,
        ...(load === undefined ? {} : { persistentLoad: load }),
      });
      pos += end;
      return value;
    } catch (error) {
      if (
        window.length === limit &&
        pos + limit < bytes.length &&
        /truncated/.test((error as Error).message)
      ) {
        throw fail(`the ${what} pickle runs past ${limit} bytes, the limit for it (a pickle bomb?)`);
      }
      throw error;
    }
  };

  const magic = next('magic number', MAX_HEADER_PICKLE_BYTES);
  if (magic !== LEGACY_MAGIC) {
    throw fail(
      `starts with a pickle of ${describe(magic)}, not torch.save's magic number 0x1950a86a20f9469cfc6c: not a PyTorch checkpoint`,
    );
  }
  const protocol = next('protocol version', MAX_HEADER_PICKLE_BYTES);
  if (protocol !== LEGACY_PROTOCOL) {
    throw fail(
      `is torch.save format version ${describe(protocol)}; only version ${LEGACY_PROTOCOL} is known`,
    );
  }
  const sysInfo = next('sys info', MAX_HEADER_PICKLE_BYTES);
  if (!(sysInfo instanceof PickleDict))
    throw fail(`holds ${describe(sysInfo)} where the sys-info dict belongs`);
  if (sysInfo.entries.get('little_endian') === false) {
    throw fail('was saved on a big-endian machine; only little-endian checkpoints are supported');
  }
  const root = next('state dict', maxPickleBytes, persistentLoad);
  const keys = next('storage keys', maxPickleBytes);
  if (!(keys instanceof PickleList) || !keys.items.every((k) => typeof k === 'string')) {
    throw fail(`holds ${describe(keys)} where the list of storage keys belongs`);
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seen = new Set<string>();
  for (const key of keys.items as string[]) {
    const storage = storages.get(key);
    if (storage === undefined) throw fail(`lists storage "${key}", which the state dict never names`);
    if (seen.has(key)) throw fail(`lists storage "${key}" twice`);
    seen.add(key);
    if (pos + 8 > bytes.length)
      throw fail(`ends at byte ${bytes.length}, before the size of storage "${key}"`);
    const count = view.getBigUint64(pos, true);
    if (count !== BigInt(storage.numel)) {
      throw fail(
        `storage "${key}" holds ${count} elements at byte ${pos}; the state dict says ${storage.numel}`,
      );
    }
    const length = storage.numel * DTYPE_SIZES[storage.dtype];
    const start = pos + 8;
    if (start + length > bytes.length) {
      throw fail(
        `storage "${key}" needs bytes [${start}, ${start + length}) but the file ends at byte ${bytes.length}`,
      );
    }
    storage.bytes = bytes.subarray(start, start + length);
    pos = start + length;
  }
  for (const key of storages.keys()) {
    if (!seen.has(key)) throw fail(`the state dict names storage "${key}", which the file does not hold`);
  }
  for (const { view: v, root: r, offset } of views) {
    const size = DTYPE_SIZES[r.dtype];
    v.bytes = r.bytes.subarray(offset * size, (offset + v.numel) * size);
  }
  return stateDictCheckpoint(root, storages, file, 'state dict', options);
}
