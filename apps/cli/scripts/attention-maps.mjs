#!/usr/bin/env node
// Draws where the embedded MNIST model looks: it samples a digit, runs it back through the model
// with outputAttentions, and writes PNG pictures of the softmax probabilities (HF's
// output_attentions) for the docs' attention page:
//   OUT/digit.png          the digit, with the pixels whose prediction is shown marked
//   OUT/heads.png          for the first marked pixel: every layer (rows) and head (columns)
//   OUT/layers.png         for each marked pixel (rows): every layer, averaged over its heads
//
//   node apps/cli/scripts/attention-maps.mjs OUT_DIR [--seed S]
//
// A map is 16×16, one cell per pixel: cell k is the weight the query gives to pixel k's token (the
// input at position k + 1; SOS, at position 0, is written under the map). Each map is scaled to its
// own largest weight; pixels after the query, which it cannot see, are grey.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mnistCausalUrl } from '@imagegpt/model-mnist-16';
import { ImageGPTForCausalImageModeling } from '@imagegpt/node';
import sharp from 'sharp';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { seed: { type: 'string' } } });
const out = positionals[0];
if (!out) {
  console.error('usage: attention-maps.mjs OUT_DIR [--seed S]');
  process.exit(2);
}
const seed = Number(values.seed ?? 7);
const SIDE = 16;
// The pixels whose prediction is shown: row, column (the model predicts pixel q at position q).
const QUERIES = [
  [10, 8],
  [6, 5],
  [13, 11],
];

const model = await ImageGPTForCausalImageModeling.fromPretrained(mnistCausalUrl, { threads: 2 });
const { nLayer, nHead, sosTokenId } = model.config;
const { sequences } = await model.generate({ doSample: true, seed, topK: null });
const sequence = sequences[0];
// The 256 inputs that predict the 256 pixels: SOS, then pixels 0..254.
const { attentions } = await model.forward([sequence.slice(0, SIDE * SIDE)], { outputAttentions: true });
const pixels = sequence.slice(1);
if (sequence[0] !== sosTokenId) throw new Error('the sequence does not start with SOS');

/** Layer l, head h (or the mean over heads when h is undefined): query q's weights over positions 0..q. */
function weights(l, q, h) {
  const data = attentions[l].data;
  const T = SIDE * SIDE;
  const row = (head) => data.subarray((head * T + q) * T, (head * T + q) * T + q + 1);
  if (h !== undefined) return Array.from(row(h));
  const mean = new Array(q + 1).fill(0);
  for (let head = 0; head < nHead; head++) {
    for (const [k, w] of row(head).entries()) mean[k] += w / nHead;
  }
  return mean;
}

/** A colour ramp from black through purple and orange to pale yellow. */
function ramp(t) {
  const stops = [
    [0, 0, 4],
    [87, 16, 110],
    [188, 55, 84],
    [249, 142, 9],
    [252, 255, 164],
  ];
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  return stops[i].map((a, c) => Math.round(a + (stops[i + 1][c] - a) * f));
}

const SCALE = 8;
/** One map as a PNG data URL: query q's weights over the pixels before it; the query pixel blue. */
async function mapPng(w, q) {
  const rgb = new Uint8Array(SIDE * SIDE * 3);
  const max = Math.max(...w.slice(1), 1e-12);
  for (let k = 0; k < SIDE * SIDE; k++) {
    const colour = k === q ? [40, 120, 255] : k > q - 1 ? [90, 90, 90] : ramp(w[k + 1] / max);
    rgb.set(colour, k * 3);
  }
  const png = await sharp(rgb, { raw: { width: SIDE, height: SIDE, channels: 3 } })
    .resize(SIDE * SCALE, SIDE * SCALE, { kernel: 'nearest' })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Lays maps out in a grid with captions, as an SVG rendered to PNG. */
async function grid(title, rowLabels, columnLabels, cells) {
  const size = SIDE * SCALE;
  const gap = 14;
  const left = 90;
  const top = 60;
  const caption = 18;
  const width = left + columnLabels.length * (size + gap);
  const height = top + rowLabels.length * (size + caption + gap);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15">${title}</text>`,
  ];
  for (const [c, label] of columnLabels.entries()) {
    parts.push(
      `<text x="${left + c * (size + gap) + size / 2}" y="${top - 10}" text-anchor="middle">${label}</text>`,
    );
  }
  for (const [r, label] of rowLabels.entries()) {
    const y = top + r * (size + caption + gap);
    parts.push(`<text x="${left - 10}" y="${y + size / 2}" text-anchor="end">${label}</text>`);
    for (const [c, { href, sos }] of cells[r].entries()) {
      const x = left + c * (size + gap);
      parts.push(`<image x="${x}" y="${y}" width="${size}" height="${size}" href="${href}"/>`);
      parts.push(
        `<text x="${x + size / 2}" y="${y + size + 14}" text-anchor="middle" font-size="11">SOS ${sos.toFixed(2)}</text>`,
      );
    }
  }
  parts.push('</svg>');
  return sharp(Buffer.from(parts.join('\n')))
    .png()
    .toBuffer();
}

await mkdir(out, { recursive: true });
const queries = QUERIES.map(([r, c]) => r * SIDE + c);

// The digit, 12× larger, the marked pixels in blue.
const digit = model.processor.decode(Int32Array.from(pixels), { width: SIDE, height: SIDE });
const rgb = new Uint8Array(SIDE * SIDE * 3);
for (let k = 0; k < SIDE * SIDE; k++) {
  const v = digit.data[k * digit.channels];
  rgb.set(queries.includes(k) ? [40, 120, 255] : [v, v, v], k * 3);
}
await writeFile(
  join(out, 'digit.png'),
  await sharp(rgb, { raw: { width: SIDE, height: SIDE, channels: 3 } })
    .resize(SIDE * 12, SIDE * 12, { kernel: 'nearest' })
    .png()
    .toBuffer(),
);

const [first] = queries;
const heads = [];
for (let l = 0; l < nLayer; l++) {
  const row = [];
  for (let h = 0; h < nHead; h++) {
    const w = weights(l, first, h);
    row.push({ href: await mapPng(w, first), sos: w[0] });
  }
  heads.push(row);
}
await writeFile(
  join(out, 'heads.png'),
  await grid(
    `Predicting pixel (row ${QUERIES[0][0]}, column ${QUERIES[0][1]}): every layer and head`,
    Array.from({ length: nLayer }, (_, l) => `layer ${l}`),
    Array.from({ length: nHead }, (_, h) => `head ${h}`),
    heads,
  ),
);

const layers = [];
for (const q of queries) {
  const row = [];
  for (let l = 0; l < nLayer; l++) {
    const w = weights(l, q);
    row.push({ href: await mapPng(w, q), sos: w[0] });
  }
  layers.push(row);
}
await writeFile(
  join(out, 'layers.png'),
  await grid(
    'Each marked pixel (rows): every layer, mean over its heads',
    QUERIES.map(([r, c]) => `(${r}, ${c})`),
    Array.from({ length: nLayer }, (_, l) => `layer ${l}`),
    layers,
  ),
);
await model.dispose();
console.log(`wrote digit.png, heads.png and layers.png to ${out} (seed ${seed})`);
