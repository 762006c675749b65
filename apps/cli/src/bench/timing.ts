/** Milliseconds of each of `runs` calls of `body`, one after the other. */
export async function timeRuns(runs: number, body: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await body();
    times.push(performance.now() - t0);
  }
  return times;
}

/** The median of `values` (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Uniform floats in [0, 1) from a 32-bit linear congruential generator: the bench's inputs only
 * need to be the same on every run, not good random numbers.
 */
export function seededUniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
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
