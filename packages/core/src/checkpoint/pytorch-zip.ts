import { strFromU8 } from 'fflate';
import { fileLimits } from '../io/file-policy.js';
import type { Checkpoint } from './checkpoint.js';
import { DTYPE_SIZES } from './dtype.js';
import { CheckpointError } from './errors.js';
import { PickleOpaque, type PickleValue, unpickle } from './pickle.js';
import { readLegacyTorch } from './pytorch-legacy.js';
import type { ReadCheckpointOptions } from './safetensors.js';
import { readStorageId, StorageRef, stateDictCheckpoint, TORCH_GLOBALS } from './torch-state-dict.js';
import { ZipArchive, type ZipEntry } from './zip-archive.js';

/** Options of {@link readPytorchBin}. */
export interface ReadPytorchBinOptions extends ReadCheckpointOptions {
  /**
   * Most bytes the zip members may declare in total once expanded; default
   * `max(64 MiB, 16 × file size)`. Torch stores members uncompressed, so real files sit near 1×.
   */
  readonly maxExpandedBytes?: number;
  /**
   * Most bytes `data.pkl` (or a pre-1.6 file's state-dict pickle) may hold once expanded; default
   * `limits.maxPickleBytes` (16 MiB). Torch writes about 100 bytes per tensor, and each byte can
   * make the unpickler allocate tens, so this is checked against the declared size before anything
   * is inflated (and inflation stops at the declared size).
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

/**
 * Reads a PyTorch checkpoint: `pytorch_model.bin` as `torch.save` writes it since torch 1.6 (a zip
 * holding `<archive>/data.pkl` and one `<archive>/data/<key>` member per storage), or in the
 * pre-1.6 format that older hub files use (pickles in a row, then the storages' bytes; see
 * `readLegacyTorch`), with the same unpickler and limits. The pickle is
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

  // PROTO: the pre-1.6 format starts with a pickle where the zip format starts with "PK".
  if (bytes[0] === 0x80) return readLegacyTorch(bytes, options);
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
    const { key, dtype, numel } = readStorageId(pid, 'zip', pickleName, fail);
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

  const maxPickleBytes = options.maxPickleBytes ?? fileLimits(options.limits).maxPickleBytes;
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
  return stateDictCheckpoint(root, storages, file, pickleName, options);
}
