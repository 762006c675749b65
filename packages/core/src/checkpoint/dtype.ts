/**
 * The element types a checkpoint tensor can have, spelled as safetensors spells them. PyTorch
 * storages map onto the same names (`FloatStorage` → `F32`, `HalfStorage` → `F16`, …).
 */
export type WeightDType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/** Bytes per element of each {@link WeightDType}. */
export const DTYPE_SIZES: Readonly<Record<WeightDType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** Whether `value` names a supported {@link WeightDType}. */
export function isWeightDType(value: unknown): value is WeightDType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZES, value);
}

/** The dtypes {@link toFloat32} accepts. */
export const FLOAT_DTYPES: readonly WeightDType[] = ['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2'];

/** The dtypes {@link toInt64} accepts: every integer type whose values all fit in a signed 64-bit integer. */
export const INT64_COMPATIBLE_DTYPES: readonly WeightDType[] = [
  'I64',
  'I32',
  'I16',
  'I8',
  'U32',
  'U16',
  'U8',
  'BOOL',
];

/**
 * Typed arrays need their byte offset to be a multiple of the element size; tensor data inside a
 * file often is, and then the view shares the file's memory. Otherwise the bytes are copied once.
 * All readers assume a little-endian host, as every platform Node and browsers run on is.
 */
function aligned(bytes: Uint8Array, elementSize: number): Uint8Array {
  return bytes.byteOffset % elementSize === 0 ? bytes : bytes.slice();
}

/**
 * Decodes raw little-endian float data of any {@link FLOAT_DTYPES} dtype to float32. `F32` data is
 * returned as a view of `bytes` when aligned (no copy); `F64` is rounded to nearest. Returns
 * `undefined` for non-float dtypes so the caller can name the tensor in its error.
 */
export function toFloat32(bytes: Uint8Array, dtype: WeightDType): Float32Array | undefined {
  const n = bytes.length / DTYPE_SIZES[dtype];
  switch (dtype) {
    case 'F32': {
      const src = aligned(bytes, 4);
      return new Float32Array(src.buffer, src.byteOffset, n);
    }
    case 'F64': {
      const src = aligned(bytes, 8);
      return Float32Array.from(new Float64Array(src.buffer, src.byteOffset, n));
    }
    case 'F16': {
      const src = aligned(bytes, 2);
      return halfToFloat32(new Uint16Array(src.buffer, src.byteOffset, n));
    }
    case 'BF16': {
      const src = aligned(bytes, 2);
      const halves = new Uint16Array(src.buffer, src.byteOffset, n);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      // bfloat16 is the top half of a float32, so widening is exact.
      for (let i = 0; i < n; i++) bits[i] = (halves[i] as number) << 16;
      return out;
    }
    case 'F8_E5M2': {
      // E5M2 is the top byte of an IEEE half (same exponent width and bias).
      const halves = new Uint16Array(n);
      for (let i = 0; i < n; i++) halves[i] = (bytes[i] as number) << 8;
      return halfToFloat32(halves);
    }
    case 'F8_E4M3': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = e4m3ToNumber(bytes[i] as number);
      return out;
    }
    default:
      return undefined;
  }
}

/** IEEE binary16 bit patterns to float32, exactly (every half is representable as a float32). */
export function halfToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i] as number;
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0x1f) {
      bits[i] = sign | 0x7f800000 | (mantissa << 13); // inf, or NaN with its payload
    } else if (exponent !== 0) {
      bits[i] = sign | ((exponent + 112) << 23) | (mantissa << 13); // rebias 15 → 127
    } else {
      out[i] = (sign !== 0 ? -1 : 1) * mantissa * 2 ** -24; // subnormal (or ±0), exact in float32
    }
  }
  return out;
}

/** float8 E4M3 "fn" (as torch.float8_e4m3fn and safetensors F8_E4M3): bias 7, no infinities, S.1111.111 is NaN. */
function e4m3ToNumber(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const exponent = (byte >> 3) & 0x0f;
  const mantissa = byte & 0x07;
  if (exponent === 0x0f && mantissa === 0x07) return Number.NaN;
  if (exponent === 0) return sign * mantissa * 2 ** -9;
  return sign * (1 + mantissa / 8) * 2 ** (exponent - 7);
}

/**
 * Decodes raw little-endian integer data to int64, widening smaller types losslessly. `I64` data is
 * a view of `bytes` when aligned. Returns `undefined` for dtypes in which some value would not fit
 * (`U64`) or that are not integers.
 */
export function toInt64(bytes: Uint8Array, dtype: WeightDType): BigInt64Array | undefined {
  const n = bytes.length / DTYPE_SIZES[dtype];
  if (dtype === 'I64') {
    const src = aligned(bytes, 8);
    return new BigInt64Array(src.buffer, src.byteOffset, n);
  }
  const values = smallIntegers(bytes, dtype, n);
  if (values === undefined) return undefined;
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as number);
  return out;
}

function smallIntegers(bytes: Uint8Array, dtype: WeightDType, n: number): ArrayLike<number> | undefined {
  switch (dtype) {
    case 'I32': {
      const src = aligned(bytes, 4);
      return new Int32Array(src.buffer, src.byteOffset, n);
    }
    case 'U32': {
      const src = aligned(bytes, 4);
      return new Uint32Array(src.buffer, src.byteOffset, n);
    }
    case 'I16': {
      const src = aligned(bytes, 2);
      return new Int16Array(src.buffer, src.byteOffset, n);
    }
    case 'U16': {
      const src = aligned(bytes, 2);
      return new Uint16Array(src.buffer, src.byteOffset, n);
    }
    case 'I8':
      return new Int8Array(bytes.buffer, bytes.byteOffset, n);
    case 'U8':
      return bytes;
    case 'BOOL':
      return Uint8Array.from(bytes, (b) => (b === 0 ? 0 : 1));
    default:
      return undefined;
  }
}
