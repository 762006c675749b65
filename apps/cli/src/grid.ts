import type { RawImage } from '@imagegpt/processor';

/** Options for {@link makeGrid}. */
export interface GridOptions {
  /** Images per row; default ceil(sqrt(n)). */
  columns?: number;
  /** Gap between cells, in source pixels. */
  gap?: number;
  /** Gap colour (RGB). */
  background?: [number, number, number];
}

/**
 * Lays images (all the same size, or null for an empty cell) out in a grid of RGB pixels.
 * Grey and RGBA images are converted on the fly.
 */
export function makeGrid(cells: (RawImage | null)[], options: GridOptions = {}): RawImage {
  const first = cells.find((c): c is RawImage => c !== null);
  if (!first) throw new Error('makeGrid: no images');
  const columns = options.columns ?? Math.ceil(Math.sqrt(cells.length));
  const rows = Math.ceil(cells.length / columns);
  const gap = options.gap ?? 1;
  const [br, bg, bb] = options.background ?? [64, 64, 64];
  const cw = first.width;
  const ch = first.height;
  const width = columns * cw + (columns + 1) * gap;
  const height = rows * ch + (rows + 1) * gap;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = br;
    data[i + 1] = bg;
    data[i + 2] = bb;
  }
  cells.forEach((cell, index) => {
    if (!cell) return;
    if (cell.width !== cw || cell.height !== ch) throw new Error('makeGrid: images differ in size');
    const x0 = gap + (index % columns) * (cw + gap);
    const y0 = gap + Math.floor(index / columns) * (ch + gap);
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const s = (y * cw + x) * cell.channels;
        const d = ((y0 + y) * width + x0 + x) * 3;
        const grey = cell.channels === 1;
        data[d] = cell.data[s]!;
        data[d + 1] = cell.data[grey ? s : s + 1]!;
        data[d + 2] = cell.data[grey ? s : s + 2]!;
      }
    }
  });
  return { width, height, channels: 3, data };
}

/**
 * Decodes the first `ids.length` pixels of a `width`x`height` image; the pixels not given yet are
 * drawn mid-grey so a kept prefix is visible as such.
 */
export function partialImage(
  decode: (ids: number[], size: { width: number; height: number }) => RawImage,
  ids: readonly number[],
  width: number,
  height: number,
): RawImage {
  const full = [...ids, ...new Array<number>(Math.max(0, width * height - ids.length)).fill(0)];
  const image = decode(full, { width, height });
  const rgb = image.channels === 3 ? image : { ...image };
  for (let p = ids.length; p < width * height; p++) {
    for (let c = 0; c < rgb.channels; c++) rgb.data[p * rgb.channels + c] = 128;
  }
  return rgb;
}
