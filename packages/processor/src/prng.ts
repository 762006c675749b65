/**
 * A seeded pseudo-random source: `next()` gives floats in [0, 1), `int(n)` integers in [0, n).
 * Kept tiny and explicit so palette learning is reproducible across machines and runtimes
 * (Math.random cannot be seeded).
 */
export interface Prng {
  next(): number;
  int(n: number): number;
}

/**
 * Mulberry32 (Tommy Ettinger's 32-bit generator): one 32-bit state word, a Weyl-sequence step
 * and an avalanche mix. Period 2^32, which is plenty for drawing k-means seeds and mini-batches;
 * it is not cryptographic. Uses only 32-bit integer ops, so every JS engine gives the same stream.
 */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let z = Math.imul(state ^ (state >>> 15), state | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}
