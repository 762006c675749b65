import type { LocalFile } from '../io/file-source.js';
import {
  DTYPE_SIZES,
  FLOAT_DTYPES,
  INT64_COMPATIBLE_DTYPES,
  toFloat32,
  toInt64,
  type WeightDType,
} from './dtype.js';
import { CheckpointError } from './errors.js';

/** One named tensor of a checkpoint, exactly as stored. */
export interface WeightTensor {
  /** The parameter name, for example `transformer.h.0.attn.c_attn.weight`. */
  readonly name: string;
  readonly dtype: WeightDType;
  /** Dimensions, outermost first; `[]` is a scalar with one element. */
  readonly shape: readonly number[];
  /**
   * Raw little-endian, row-major (contiguous) data, `numel × dtype size` bytes. A view into the
   * file's bytes when the file was read whole, the tensor's own read when it was read by range
   * ({@link readSafetensorsByRange}), read on first use when it was left in a local file
   * ({@link DeferredWeight}); in every case treat it as read-only.
   */
  readonly bytes: Uint8Array;
  /**
   * Where the bytes lie in a local file, exactly as stored (`offset` from the start of the file),
   * when the reader left them there: a backend that reads local files can then load the tensor
   * from the file itself. Absent for tensors read into memory.
   */
  readonly file?: { readonly file: LocalFile; readonly offset: number };
}

/**
 * A {@link WeightTensor} whose bytes stay in a local file until first asked for, then are read
 * (synchronously) and kept. `byteLength` is what the file's header promised, checked by its reader.
 */
export class DeferredWeight implements WeightTensor {
  readonly file: { readonly file: LocalFile; readonly offset: number };
  #bytes: Uint8Array | undefined;

  constructor(
    readonly name: string,
    readonly dtype: WeightDType,
    readonly shape: readonly number[],
    readonly byteLength: number,
    file: LocalFile,
    offset: number,
  ) {
    this.file = { file, offset };
  }

  get bytes(): Uint8Array {
    this.#bytes ??= this.file.file.readSync(this.file.offset, this.byteLength);
    return this.#bytes;
  }
}

/** Number of elements of a shape (`[]` → 1). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Formats a shape for messages: `[32, 96]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Named weight tensors read from one checkpoint file or several shards, with typed access.
 * Readers ({@link readSafetensors}, {@link readSafetensorsByRange}, {@link readPytorchBin}) and
 * {@link loadCheckpoint} build it.
 *
 * @example
 * const ckpt = readSafetensors(bytes, { source: 'model.safetensors' });
 * const wte = ckpt.float32('transformer.wte.weight'); // Float32Array, V·C values
 * ckpt.get('transformer.wte.weight').shape;            // [V, C]
 */
export class Checkpoint {
  /** The file name(s) the tensors came from, for messages. */
  readonly source: string;
  /** String metadata stored with the weights (safetensors `__metadata__`, for example `{ format: 'pt' }`). */
  readonly metadata: Record<string, string>;
  readonly #tensors: ReadonlyMap<string, WeightTensor>;

  /**
   * Wraps already-validated tensors; duplicate names are refused. Each tensor's byte length must be
   * its element count times its dtype size.
   */
  constructor(
    tensors: Iterable<WeightTensor>,
    options: { readonly source: string; readonly metadata?: Record<string, string> },
  ) {
    this.source = options.source;
    this.metadata = { ...options.metadata };
    const byName = new Map<string, WeightTensor>();
    for (const tensor of tensors) {
      if (byName.has(tensor.name)) {
        throw new CheckpointError('the tensor name appears twice', {
          file: this.source,
          tensor: tensor.name,
        });
      }
      const expected = shapeSize(tensor.shape) * DTYPE_SIZES[tensor.dtype];
      // A deferred tensor is not read to be checked: its reader checked the length it promises.
      const length = tensor instanceof DeferredWeight ? tensor.byteLength : tensor.bytes.length;
      if (length !== expected) {
        throw new CheckpointError(
          `${tensor.dtype} ${formatShape(tensor.shape)} needs ${expected} bytes, got ${length}`,
          { file: this.source, tensor: tensor.name },
        );
      }
      byName.set(tensor.name, tensor);
    }
    this.#tensors = byName;
  }

  /** Tensor names in file order (shard order, then file order, for merged checkpoints). */
  names(): string[] {
    return [...this.#tensors.keys()];
  }

  /** Whether a tensor of that name exists. */
  has(name: string): boolean {
    return this.#tensors.has(name);
  }

  /** The tensor of that name; an unknown name throws a {@link CheckpointError}. */
  get(name: string): WeightTensor {
    const tensor = this.#tensors.get(name);
    if (tensor === undefined) {
      throw new CheckpointError(`no such tensor among the ${this.#tensors.size} in this checkpoint`, {
        file: this.source,
        tensor: name,
      });
    }
    return tensor;
  }

  /** Element count of a tensor (1 for a scalar). */
  numElements(name: string): number {
    return shapeSize(this.get(name).shape);
  }

  /**
   * The tensor's values as float32, row-major. `F32` data aligned in the file is returned as a view
   * sharing the file's memory (do not write to it); `F16`, `BF16`, `F8_*` are widened exactly and
   * `F64` rounded. Integer and boolean tensors throw.
   */
  float32(name: string): Float32Array {
    const tensor = this.get(name);
    const values = toFloat32(tensor.bytes, tensor.dtype);
    if (values === undefined) {
      throw new CheckpointError(
        `has dtype ${tensor.dtype}; float32() needs one of ${FLOAT_DTYPES.join(', ')} (use int64() for integers)`,
        { file: this.source, tensor: name },
      );
    }
    return values;
  }

  /**
   * The tensor's values as int64, row-major. `I64` data aligned in the file is a view (do not write
   * to it); smaller integer types and `BOOL` are widened. Floats and `U64` throw.
   */
  int64(name: string): BigInt64Array {
    const tensor = this.get(name);
    const values = toInt64(tensor.bytes, tensor.dtype);
    if (values === undefined) {
      throw new CheckpointError(
        `has dtype ${tensor.dtype}; int64() needs one of ${INT64_COMPATIBLE_DTYPES.join(', ')}`,
        {
          file: this.source,
          tensor: name,
        },
      );
    }
    return values;
  }

  /**
   * Joins shards into one checkpoint. A name present in two parts throws (naming both sources).
   * Metadata is merged; where two parts disagree on a key, the first part's value is kept.
   */
  static merge(parts: readonly Checkpoint[], source: string): Checkpoint {
    const owner = new Map<string, Checkpoint>();
    const tensors: WeightTensor[] = [];
    const metadata: Record<string, string> = {};
    for (const part of parts) {
      for (const [key, value] of Object.entries(part.metadata))
        if (!Object.hasOwn(metadata, key)) metadata[key] = value;
      for (const tensor of part.#tensors.values()) {
        const first = owner.get(tensor.name);
        if (first !== undefined) {
          throw new CheckpointError(`appears in both ${first.source} and ${part.source}`, {
            file: source,
            tensor: tensor.name,
          });
        }
        owner.set(tensor.name, part);
        tensors.push(tensor);
      }
    }
    return new Checkpoint(tensors, { source, metadata });
  }
}
