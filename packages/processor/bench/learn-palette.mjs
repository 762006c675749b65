// Times learnPalette for k = 512 over 1M pixels (not a test). Build first:
//   npx tsc -p tsconfig.build.json && node bench/learn-palette.mjs [pixels] [k]
// The pixels are "random-ish": 4,000 Gaussian colour blobs of random spread plus 10% uniform
// noise, quantised to 8 bits and normalised like real images, so k-means has structure to find.
import { learnPalette } from '../dist/index.js';

const n = Number(process.argv[2] ?? 1_000_000);
const k = Number(process.argv[3] ?? 512);

let state = 12345;
const rand = () => {
  state = (state + 0x6d2b79f5) | 0;
  let z = Math.imul(state ^ (state >>> 15), state | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const blobs = Array.from({ length: 4000 }, () => [rand() * 255, rand() * 255, rand() * 255, 2 + rand() * 20]);
const pixels = new Float32Array(n * 3);
for (let i = 0; i < n; i++) {
  const noise = rand() < 0.1;
  const b = blobs[Math.floor(rand() * blobs.length)];
  for (let c = 0; c < 3; c++) {
    const v = noise ? rand() * 255 : b[c] + b[3] * gauss();
    const u8 = Math.max(0, Math.min(255, Math.round(v)));
    pixels[3 * i + c] = Math.fround(Math.fround(u8 * (1 / 127.5)) - 1);
  }
}

for (const mode of [{ name: 'lloyd (full batch)' }, { name: 'mini-batch 4096', batchSize: 4096 }]) {
  const start = performance.now();
  let initAt = 0;
  let lastIterationAt = start;
  const perIteration = [];
  const palette = learnPalette(pixels, {
    k,
    seed: 1,
    ...(mode.batchSize ? { batchSize: mode.batchSize } : {}),
    onProgress: ({ phase }) => {
      const now = performance.now();
      if (phase === 'init') initAt = now - start;
      else perIteration.push(now - lastIterationAt);
      lastIterationAt = now;
    },
  });
  const total = performance.now() - start;
  const it = perIteration.slice(1);
  const median = it.sort((a, b) => a - b)[Math.floor(it.length / 2)] ?? 0;
  console.log(
    `${mode.name}: n=${n} k=${k} total ${(total / 1000).toFixed(2)} s; seeding + first assignment ${(initAt / 1000).toFixed(2)} s; ` +
      `${palette.iterations} iterations (median ${median.toFixed(1)} ms each); inertia ${palette.initialInertia.toFixed(1)} -> ${palette.inertia.toFixed(1)}`,
  );
}
