import type { ModelArtifact } from '../backend/backend.js';
import type { LocalFile } from '../io/file-source.js';
import { encodeOnnxModel } from '../onnx/onnx-codec.js';
import {
  type OnnxAttribute,
  OnnxAttributeType,
  OnnxDataLocation,
  OnnxDataType,
  type OnnxDataTypeCode,
  type OnnxDim,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from '../onnx/onnx-messages.js';

/** An attribute value: numbers are INT / INTS, wrap a float with {@link floatAttr}. */
export type AttributeValue = number | readonly number[] | { readonly float: number };

/** Marks an attribute value as FLOAT (plain numbers are emitted as INT). */
export const floatAttr = (value: number): { readonly float: number } => ({ float: value });

/** A dimension: a fixed size or a symbolic name (`batch`, `sequence`, ...). */
export type Dim = number | string;

/**
 * How a serialized model carries its weights. `embedded`: in the model bytes, moving to external data
 * files over {@link SerializeOptions.externalDataThreshold} (what `onnx.save` writes: for files).
 * `buffers`: every weight of 1 KiB or more is its own in-memory external data entry, a view of the
 * builder's array: nothing is copied in JS and the runtime copies each weight once, into its own
 * memory (for sessions; `igpt export` would write one file per weight). `files`: weights that lie
 * unchanged in a local file ({@link GraphBuilder.addFileInitializer}) stay there, as external data
 * the runtime reads (maps) from that file itself ({@link ModelArtifact.externalDataFolder}), and
 * the rest are embedded; without such weights it is `buffers`. For backends that read local files.
 */
export type WeightPlacement = 'embedded' | 'buffers' | 'files';

/** Where and how to write the model once the graph is complete. */
export interface SerializeOptions {
  /** How the weights travel (default `embedded`); see {@link WeightPlacement}. */
  weights?: WeightPlacement;
  /**
   * Initializer bytes above which weights move to ONNX external data files. Protobuf cannot encode a
   * message over 2 GiB, so the default keeps well under that.
   */
  externalDataThreshold?: number;
  /** The largest external data file; bigger models get several (browsers cap ArrayBuffers near 2 GiB). */
  externalDataFileBytes?: number;
  /** Base name of external data files, relative to the model. */
  externalDataPath?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
}

/** The default {@link SerializeOptions.externalDataThreshold}: 2 GiB less 256 MiB of headroom for the graph itself. */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2 ** 31 - 2 ** 28;
const DEFAULT_EXTERNAL_FILE_BYTES = 2 ** 30;
// Like onnx's convert_model_to_external_data: tiny tensors (shape constants, norms) stay inline.
const EXTERNAL_MIN_BYTES = 1024;
// ONNX asks for page-aligned offsets so a runtime can mmap the file.
const EXTERNAL_ALIGN = 4096;
const OPSET = 17;
const IR_VERSION = 8;

interface Initializer {
  readonly name: string;
  readonly dataType: OnnxDataTypeCode;
  readonly dims: readonly number[];
  /** The bytes (read from {@link file} on first use when the weight lies in one). */
  readonly bytes: Uint8Array;
  /** The local file and offset where exactly these bytes lie. */
  readonly file?: { readonly file: LocalFile; readonly offset: number };
}

/** The contrib-op domain of ONNX Runtime (GroupQueryAttention, MatMulNBits, ...). */
export const MS_DOMAIN = 'com.microsoft';

/** Typed arrays an initializer may hold; a Uint16Array holds float16 bits. */
export type InitializerData = Float32Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

const bytesOf = (data: InitializerData): Uint8Array =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

const toDims = (shape: readonly Dim[]): OnnxDim[] =>
  shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));

/**
 * Emits ONNX nodes with readable, unique names. Values are plain strings; `op` returns the name of
 * its (first) output so graph code reads like the math it builds.
 */
export class GraphBuilder {
  readonly #nodes: OnnxNode[] = [];
  readonly #initializers = new Map<string, Initializer>();
  readonly #inputs: OnnxValueInfo[] = [];
  readonly #outputs: OnnxValueInfo[] = [];
  readonly #constants = new Map<string, string>();
  readonly #domains = new Set<string>();
  #scope = '';
  #counter = 0;

  constructor(readonly name: string) {}

  /** Runs `build` with node and value names prefixed by `scope` (for example `h.3.attn`). */
  scoped<T>(scope: string, build: () => T): T {
    const outer = this.#scope;
    this.#scope = outer === '' ? scope : `${outer}.${scope}`;
    try {
      return build();
    } finally {
      this.#scope = outer;
    }
  }

  /** Declares a graph input and returns its name. */
  input(name: string, elemType: OnnxDataTypeCode, shape: readonly Dim[]): string {
    this.#inputs.push({ name, type: { tensorType: { elemType, shape: { dim: toDims(shape) } } } });
    return name;
  }

  /** Declares an existing value as a graph output. */
  output(name: string, elemType: OnnxDataTypeCode, shape: readonly Dim[]): void {
    this.#outputs.push({ name, type: { tensorType: { elemType, shape: { dim: toDims(shape) } } } });
  }

  /** Adds a constant tensor (a weight) and returns its name. */
  addInitializer(name: string, dims: readonly number[], data: InitializerData): string {
    if (this.#initializers.has(name)) throw new Error(`GraphBuilder: initializer "${name}" added twice`);
    const dataType =
      data instanceof Float32Array
        ? OnnxDataType.FLOAT
        : data instanceof BigInt64Array
          ? OnnxDataType.INT64
          : data instanceof Int32Array
            ? OnnxDataType.INT32
            : data instanceof Uint16Array
              ? OnnxDataType.FLOAT16
              : OnnxDataType.UINT8;
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(
        `GraphBuilder: initializer "${name}" has ${data.length} elements, dims [${dims}] need ${count}`,
      );
    }
    this.#initializers.set(name, { name, dataType, dims: [...dims], bytes: bytesOf(data) });
    return name;
  }

  /**
   * Adds a float32 weight whose bytes lie unchanged in a local file at `file.offset`; `read` gives
   * them when the placement needs them in memory (anything but `files`). Returns its name.
   */
  addFileInitializer(
    name: string,
    dims: readonly number[],
    file: { readonly file: LocalFile; readonly offset: number },
    read: () => Uint8Array,
  ): string {
    if (this.#initializers.has(name)) throw new Error(`GraphBuilder: initializer "${name}" added twice`);
    let bytes: Uint8Array | undefined;
    this.#initializers.set(name, {
      name,
      dataType: OnnxDataType.FLOAT,
      dims: [...dims],
      file,
      get bytes() {
        bytes ??= read();
        return bytes;
      },
    });
    return name;
  }

  /** A float32 constant of shape `dims` ([] = scalar), shared between uses with the same value. */
  floatConstant(value: number, dims: readonly number[] = []): string {
    return this.#constant(`f32[${dims}]:${value}`, 'const_f32', dims, Float32Array.of(value));
  }

  /** An int64 1-D constant (shapes, axes, split sizes), shared between uses with the same value. */
  int64s(values: readonly number[]): string {
    return this.#constant(`i64:${values}`, 'const_i64', [values.length], BigInt64Array.from(values, BigInt));
  }

  /** An int64 scalar constant. */
  int64(value: number): string {
    return this.#constant(`i64s:${value}`, 'const_i64', [], BigInt64Array.of(BigInt(value)));
  }

  #constant(
    key: string,
    prefix: string,
    dims: readonly number[],
    data: Float32Array | BigInt64Array,
  ): string {
    const known = this.#constants.get(key);
    if (known !== undefined) return known;
    const name = this.addInitializer(`${prefix}_${this.#constants.size}`, dims, data);
    this.#constants.set(key, name);
    return name;
  }

  /**
   * Appends one node and returns its output's name: `outputName` when given (graph outputs need a
   * fixed name), otherwise a fresh scoped one.
   */
  op(
    opType: string,
    inputs: readonly (string | undefined)[],
    attributes: Record<string, AttributeValue> = {},
    outputName?: string,
  ): string {
    const [output] = this.opN(
      opType,
      inputs,
      1,
      attributes,
      outputName === undefined ? undefined : [outputName],
    );
    return output as string;
  }

  /**
   * Appends a node with `count` outputs (Split) and returns their names. `domain` selects an operator
   * set other than the standard one (ONNX Runtime's contrib ops live in {@link MS_DOMAIN}); an
   * `undefined` input is an optional input left out (ONNX writes it as an empty name).
   */
  opN(
    opType: string,
    inputs: readonly (string | undefined)[],
    count: number,
    attributes: Record<string, AttributeValue> = {},
    outputNames?: readonly string[],
    domain = '',
  ): string[] {
    if (domain !== '') this.#domains.add(domain);
    const id = this.#counter++;
    const base = this.#scope === '' ? `${opType}_${id}` : `${this.#scope}/${opType}_${id}`;
    const output =
      outputNames !== undefined ? [...outputNames] : Array.from({ length: count }, (_, i) => `${base}:${i}`);
    this.#nodes.push({
      name: base,
      opType,
      ...(domain === '' ? {} : { domain }),
      input: inputs.map((name) => name ?? ''),
      output,
      attribute: Object.entries(attributes).map(([name, value]) => toAttribute(name, value)),
    });
    return output;
  }

  /** Appends one ONNX Runtime contrib op ({@link MS_DOMAIN}) with `count` outputs; returns their names. */
  contribOp(
    opType: string,
    inputs: readonly (string | undefined)[],
    count: number,
    attributes: Record<string, AttributeValue> = {},
    outputNames?: readonly string[],
  ): string[] {
    return this.opN(opType, inputs, count, attributes, outputNames, MS_DOMAIN);
  }

  /**
   * Serializes the graph. Weights are embedded, and go to external data files when their total
   * exceeds the threshold, unless `weights: 'buffers'` hands each over as its own in-memory entry.
   */
  toArtifact(options: SerializeOptions = {}): ModelArtifact {
    const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD;
    const fileBytes = options.externalDataFileBytes ?? DEFAULT_EXTERNAL_FILE_BYTES;
    const basePath = options.externalDataPath ?? 'model.onnx.data';
    const all = [...this.#initializers.values()];
    if (options.weights === 'files') {
      const inFiles = this.#withWeightFiles(all, options);
      if (inFiles !== undefined) return inFiles;
    }
    if (options.weights === 'buffers' || options.weights === 'files')
      return this.#withWeightBuffers(all, options);
    const total = all.reduce((sum, t) => sum + t.bytes.byteLength, 0);
    const external = total > threshold;

    // Pack external tensors into files of at most `fileBytes` (a bigger tensor gets a file to itself).
    const files: { path: string; parts: { offset: number; bytes: Uint8Array }[]; size: number }[] = [];
    const initializer: OnnxTensor[] = all.map((t) => {
      if (!external || t.bytes.byteLength < EXTERNAL_MIN_BYTES) {
        return inlineTensor(t);
      }
      let file = files.at(-1);
      const aligned = file === undefined ? 0 : Math.ceil(file.size / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      if (file === undefined || (file.size > 0 && aligned + t.bytes.byteLength > fileBytes)) {
        file = { path: files.length === 0 ? basePath : `${basePath}.${files.length}`, parts: [], size: 0 };
        files.push(file);
      }
      const offset = file.size === 0 ? 0 : Math.ceil(file.size / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      file.parts.push({ offset, bytes: t.bytes });
      file.size = offset + t.bytes.byteLength;
      return externalTensor(t, file.path, String(offset), String(t.bytes.byteLength));
    });

    const model = this.#encode(initializer, options);
    if (files.length === 0) return { model };
    const externalData = files.map((file) => {
      const data = new Uint8Array(file.size);
      for (const part of file.parts) data.set(part.bytes, part.offset);
      return { path: file.path, data };
    });
    return { model, externalData };
  }

  /**
   * {@link WeightPlacement} `files`: the weights of the folder holding most of them stay in their
   * files, the rest are embedded. Undefined (use `buffers`) when no weight lies in a file or the
   * embedded rest would be too big for one protobuf message.
   */
  #withWeightFiles(all: readonly Initializer[], options: SerializeOptions): ModelArtifact | undefined {
    const bytesIn = new Map<string, number>();
    for (const t of all) {
      if (t.file === undefined) continue;
      const folder = splitPath(t.file.file.path).folder;
      bytesIn.set(folder, (bytesIn.get(folder) ?? 0) + byteLength(t));
    }
    const folder = [...bytesIn].sort((a, b) => b[1] - a[1])[0]?.[0];
    if (folder === undefined) return undefined;
    const inFolder = (t: Initializer) =>
      t.file !== undefined && splitPath(t.file.file.path).folder === folder;
    const embedded = all.reduce((n, t) => (inFolder(t) ? n : n + t.bytes.byteLength), 0);
    if (embedded > (options.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD)) return undefined;
    // The runtime reads the files when the session opens: they must still be the ones the
    // checkpoint was read from (a replaced file would give other weights at the same offsets).
    // When one is not, the weights travel in memory: those already read (a model saved over its
    // own folder read them all) are used, and reading any other refuses the file, naming it.
    try {
      for (const file of new Set(all.filter(inFolder).map((t) => t.file?.file))) file?.check();
    } catch {
      return undefined;
    }
    const initializer = all.map((t): OnnxTensor => {
      if (!inFolder(t) || t.file === undefined) {
        return inlineTensor(t);
      }
      return externalTensor(
        t,
        splitPath(t.file.file.path).name,
        String(t.file.offset),
        String(byteLength(t)),
      );
    });
    return { model: this.#encode(initializer, options), externalDataFolder: folder };
  }

  /** {@link WeightPlacement} `buffers`: one external data entry per weight, viewing its bytes. */
  #withWeightBuffers(all: readonly Initializer[], options: SerializeOptions): ModelArtifact {
    const externalData: { path: string; data: Uint8Array }[] = [];
    const initializer = all.map((t): OnnxTensor => {
      if (t.bytes.byteLength < EXTERNAL_MIN_BYTES) {
        return inlineTensor(t);
      }
      // A plain relative name: runtimes look in-memory entries up by it, and refuse paths that climb.
      const path = `weight-${externalData.length}.bin`;
      externalData.push({ path, data: t.bytes });
      return externalTensor(t, path, '0', String(t.bytes.byteLength));
    });
    const model = this.#encode(initializer, options);
    return externalData.length === 0 ? { model } : { model, externalData };
  }

  #encode(initializer: OnnxTensor[], options: SerializeOptions): Uint8Array {
    return encodeOnnxModel(
      {
        irVersion: IR_VERSION,
        opsetImport: [
          { domain: '', version: OPSET },
          ...[...this.#domains].map((domain) => ({ domain, version: 1 })),
        ],
        producerName: 'imagegpt-ts',
        producerVersion: '0.1.0',
        ...(options.docString === undefined ? {} : { docString: options.docString }),
        metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
        graph: {
          name: this.name,
          node: this.#nodes,
          initializer,
          input: this.#inputs,
          output: this.#outputs,
        },
      },
      // Our own output, schema-checked by the graph tests; the check would cost a cold start.
      { verify: false },
    );
  }
}

/** An initializer with its bytes in the model. */
function inlineTensor(t: Initializer): OnnxTensor {
  return { name: t.name, dataType: t.dataType, dims: [...t.dims], rawData: t.bytes };
}

/** An initializer whose bytes are `length` bytes at `offset` in the external data file `location`. */
function externalTensor(t: Initializer, location: string, offset: string, length: string): OnnxTensor {
  return {
    name: t.name,
    dataType: t.dataType,
    dims: [...t.dims],
    dataLocation: OnnxDataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: offset },
      { key: 'length', value: length },
    ],
  };
}

/** An initializer's size in bytes, without reading a weight that lies in a file. */
function byteLength(t: Initializer): number {
  return t.file === undefined ? t.bytes.byteLength : 4 * t.dims.reduce((a, b) => a * b, 1);
}

/** A local path's folder and file name (either separator, for Windows paths). */
function splitPath(path: string): { folder: string; name: string } {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  // A file at the root keeps the separator as its folder (`/`, `C:\\`).
  return {
    folder: cut <= 0 || path[cut - 1] === ':' ? path.slice(0, cut + 1) : path.slice(0, cut),
    name: path.slice(cut + 1),
  };
}

function toAttribute(name: string, value: AttributeValue): OnnxAttribute {
  if (typeof value === 'number') return { name, type: OnnxAttributeType.INT, i: value };
  if ('float' in value) return { name, type: OnnxAttributeType.FLOAT, f: value.float };
  return { name, type: OnnxAttributeType.INTS, ints: [...value] };
}
