import { GenerationError } from './generation-error.js';

/**
 * A seeded pseudo-random stream that yields the same numbers on every JavaScript runtime, so a seed
 * reproduces an image in Node and in the browser alike.
 *
 * Algorithm (reproducible anywhere with 64-bit and 32-bit unsigned integer math):
 * 1. `seed` is reduced to an unsigned 64-bit integer `s` (two's complement for negatives);
 *    `stream` likewise to `t`.
 * 2. A SplitMix64 generator starts at state `s XOR mix64(t)`, where `mix64` is the SplitMix64
 *    finaliser (`mix64(0) = 0`, so stream 0 is plain SplitMix64 seeding). Its first two outputs
 *    `a`, `b` give the xoshiro128** state `[lo32(a), hi32(a), lo32(b), hi32(b)]`.
 * 3. `nextUint32()` is one xoshiro128** step (Blackman & Vigna).
 * 4. `nextFloat()` draws `x = nextUint32() >>> 5` then `y = nextUint32() >>> 6` and returns
 *    `(x * 2^26 + y) / 2^53`: a uniform double in [0, 1) with 53 random bits, computed exactly.
 */
export interface Rng {
  /** The next 32-bit output as an unsigned integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniform double in [0, 1), built from two `nextUint32()` outputs (see {@link Rng}). */
  nextFloat(): number;
}

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

function mix64(value: bigint): bigint {
  let z = value;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function toUint64(value: number | bigint, field: string): bigint {
  if (typeof value === 'bigint') return BigInt.asUintN(64, value);
  if (!Number.isSafeInteger(value)) {
    throw new GenerationError(field, `expected a safe integer or a bigint, got ${value}`);
  }
  return BigInt.asUintN(64, BigInt(value));
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

class Xoshiro128StarStar implements Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(a: bigint, b: bigint) {
    // SplitMix64 is a bijection of its state, so two consecutive outputs are never both zero and
    // the xoshiro state can never be the all-zero fixed point.
    this.#s0 = Number(a & 0xffffffffn) | 0;
    this.#s1 = Number(a >> 32n) | 0;
    this.#s2 = Number(b & 0xffffffffn) | 0;
    this.#s3 = Number(b >> 32n) | 0;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }
}

/**
 * Creates a seeded xoshiro128** stream. Different `stream` numbers under one seed give independent
 * streams; `generate` uses stream `b` for batch row `b`, so a row's image does not depend on how many
 * other rows were generated with it.
 *
 * @example createRng(42).nextUint32() // 1776835114 on every runtime
 */
export function createRng(seed: number | bigint, stream: number | bigint = 0): Rng {
  let state = toUint64(seed, 'seed') ^ mix64(toUint64(stream, 'stream'));
  state = (state + GOLDEN_GAMMA) & MASK64;
  const a = mix64(state);
  state = (state + GOLDEN_GAMMA) & MASK64;
  const b = mix64(state);
  return new Xoshiro128StarStar(a, b);
}

/**
 * A fresh 64-bit seed from the platform's cryptographic generator (Web Crypto, present in browsers and
 * Node >= 19), used when sampling without an explicit seed.
 */
export function randomSeed(): bigint {
  const crypto = (globalThis as { crypto?: { getRandomValues(array: Uint32Array): Uint32Array } }).crypto;
  const words = new Uint32Array(2);
  if (crypto !== undefined) {
    crypto.getRandomValues(words);
  } else {
    // Only the seed is drawn this way; the stream itself stays the portable generator above.
    words[0] = Math.floor(Math.random() * 2 ** 32);
    words[1] = Math.floor(Math.random() * 2 ** 32);
  }
  return (BigInt(words[1] as number) << 32n) | BigInt(words[0] as number);
}
