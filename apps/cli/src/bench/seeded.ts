/**
 * Uniform floats in [0, 1) from xorshift128+, deterministic for a seed: the bench's random weights,
 * images, features and tokens are the same on every run, and fast enough for 100M draws.
 */
export function seededUniform(seed: number): () => number {
  let s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
  let s1 = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 2;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x >>> 0;
    return ((s0 + s1) >>> 0) / 4294967296;
  };
}

/** `rows` token rows of `length`: SOS, then random colour ids below `vocab − 1`. */
export function randomTokens(
  rows: number,
  length: number,
  vocab: number,
  sos: number,
  seed: number,
): number[][] {
  const next = seededUniform(seed);
  return Array.from({ length: rows }, () =>
    Array.from({ length }, (_, t) => (t === 0 ? sos : Math.floor(next() * (vocab - 1)))),
  );
}
