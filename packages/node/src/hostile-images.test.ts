// Hostile and unusual image bytes through decodeImage: every case ends in a RawImage or an
// ImageError with a one-line message, within the tally's budget, and a decompression bomb is
// refused from its header before any pixel is inflated.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import {
  DEFAULT_MAX_PIXELS,
  DEFAULT_MAX_SCANS,
  DEFAULT_MAX_SIDE,
  ImageError,
  type RawImage,
  readImageHeader,
} from '@imagegpt/processor';
import { cpuTimeMs, HostileTally, type Outcome } from '@imagegpt/test-kit/hostile';
import { blackPng, repeatLastScan } from '@imagegpt/test-kit/hostile-files';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DecodeImageOptions, decodeImage, readImage } from './image-io.js';

const tally = new HostileTally((e): e is ImageError => e instanceof ImageError, 'an ImageError');

/**
 * Decodes one case and counts it (an ImageError or an image, nothing else, within the budget). An
 * error message is one line naming the source; a decoded image is consistent (positive size, 1/3/4
 * channels, data of the right length).
 */
async function attempt(
  label: string,
  bytes: Uint8Array | (() => Promise<RawImage>),
  options: DecodeImageOptions = {},
): Promise<Outcome<RawImage, ImageError>> {
  const decode =
    typeof bytes === 'function' ? bytes : () => decodeImage(bytes, { source: label, ...options });
  const outcome = await tally.attemptAsync(label, decode);
  if (outcome.kind === 'typed') {
    const { message } = outcome.error;
    expect(message.startsWith(`${options.source ?? label}: `)).toBe(true);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(300);
  } else {
    const { width, height, channels, data } = outcome.value;
    expect(width).toBeGreaterThan(0);
    expect(height).toBeGreaterThan(0);
    expect([1, 3, 4]).toContain(channels);
    expect(data.length).toBe(width * height * channels);
  }
  return outcome;
}

async function refused(
  label: string,
  bytes: Uint8Array | (() => Promise<RawImage>),
  options?: DecodeImageOptions,
): Promise<ImageError> {
  const outcome = await attempt(label, bytes, options);
  if (outcome.kind !== 'typed')
    throw new Error(
      `${label}: decoded to ${outcome.value.width}x${outcome.value.height}, expected an ImageError`,
    );
  return outcome.error;
}

async function decoded(label: string, bytes: Uint8Array): Promise<RawImage> {
  const outcome = await attempt(label, bytes);
  if (outcome.kind !== 'accepted') throw new Error(`${label}: ${outcome.error.message}, expected an image`);
  return outcome.value;
}

/** One PNG chunk with its CRC, so crafted files get past the CRC check to the part under test. */
function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** A PNG from a header and already-filtered scanlines (or any IDAT payload), all CRCs valid. */
function craftPng(
  header: { width: number; height: number; depth: number; colorType: number },
  idat: Uint8Array,
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(header.width, 0);
  ihdr.writeUInt32BE(header.height, 4);
  ihdr[8] = header.depth;
  ihdr[9] = header.colorType;
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** Scanlines of 16-bit samples, big-endian, filter type 0 (None) on every row. */
function scanlines16(
  width: number,
  height: number,
  samplesPerPixel: number,
  values: readonly number[],
): Buffer {
  const stride = 1 + width * samplesPerPixel * 2;
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * samplesPerPixel; i++)
      rows.writeUInt16BE(values[y * width * samplesPerPixel + i]!, y * stride + 1 + 2 * i);
  }
  return deflateSync(rows);
}

let noisePng: Buffer;
let noisePixels: RawImage;
let noiseJpeg: Buffer;
let noiseWebp: Buffer;
let noiseGif: Buffer;

beforeAll(async () => {
  const noise = sharp({
    create: {
      width: 24,
      height: 24,
      channels: 3,
      background: { r: 90, g: 140, b: 30 },
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });
  noisePng = await noise.clone().png().toBuffer();
  noiseJpeg = await noise.clone().jpeg({ quality: 80 }).toBuffer();
  noiseWebp = await noise.clone().webp().toBuffer();
  noiseGif = await noise.clone().gif().toBuffer();
  noisePixels = await decodeImage(noisePng);
});

describe('degenerate images', () => {
  it('refuses empty input and 0x0 / 0xN / Nx0 headers; decodes 1x1 exactly', async () => {
    expect((await refused('empty', new Uint8Array(0))).message).toMatch(/not a readable image/);
    for (const [width, height] of [
      [0, 0],
      [0, 5],
      [5, 0],
    ] as const) {
      const bytes = craftPng(
        { width, height, depth: 8, colorType: 0 },
        deflateSync(Buffer.alloc(height * (1 + width))),
      );
      await refused(`${width}x${height}.png`, bytes);
    }
    const one = await decoded(
      '1x1.png',
      craftPng({ width: 1, height: 1, depth: 8, colorType: 0 }, deflateSync(Buffer.from([0, 200]))),
    );
    expect(one).toEqual({ width: 1, height: 1, channels: 1, data: Uint8Array.from([200]) });
    const rgb = await decoded(
      '1x1-rgb.png',
      craftPng({ width: 1, height: 1, depth: 8, colorType: 2 }, deflateSync(Buffer.from([0, 1, 2, 3]))),
    );
    expect(Array.from(rgb.data)).toEqual([1, 2, 3]);
  });

  it('refuses random bytes, with or without the magic number of a supported format', async () => {
    const magics = [
      PNG_SIGNATURE,
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('GIF89a', 'latin1'),
      Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'),
      Buffer.from([0x49, 0x49, 0x2a, 0x00]),
      Buffer.from('\x00\x00\x00\x1cftypavif', 'latin1'),
      Buffer.alloc(0),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 512 }), async (magic, rest) => {
        await attempt('random bytes', Buffer.concat([magic, rest]));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses SVG (and so never renders markup or follows its links)', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="4" height="4">' +
        '<image width="4" height="4" xlink:href="file:///etc/hostname"/></svg>',
    );
    expect((await refused('link.svg', svg)).message).toMatch(/svg images are not supported/);
  });
});

describe('paths that are not image files', () => {
  it.skipIf(process.platform === 'win32')(
    'refuses /dev/zero, a FIFO, a folder and a missing file without reading them',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'igpt-paths-'));
      try {
        const fifo = join(dir, 'pipe.png');
        const made = spawnSync('mkfifo', [fifo]);
        expect(made.status).toBe(0);
        // Reading /dev/zero never ends and opening a FIFO blocks until a writer comes: both must be refused unread.
        for (const path of ['/dev/zero', fifo, dir]) {
          expect((await refused(path, () => readImage(path))).message).toBe(`${path}: not a regular file`);
        }
        const missing = join(dir, 'missing.png');
        expect((await refused(missing, () => readImage(missing))).message).toMatch(
          /^.*missing\.png: cannot read \(ENOENT/,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('corrupt files', () => {
  it('a PNG truncated at ~500 offsets: an ImageError, or (past the last IDAT) exactly the original pixels', async () => {
    // Every offset through the headers and the tail chunks, every 4th through the compressed data.
    const cuts = Array.from({ length: noisePng.length }, (_, i) => i).filter(
      (i) => i < 64 || i > noisePng.length - 40 || i % 4 === 0,
    );
    for (const cut of cuts) {
      const outcome = await attempt(`png cut at ${cut}`, noisePng.subarray(0, cut));
      if (outcome.kind === 'accepted') expect(outcome.value).toEqual(noisePixels);
    }
  });

  it('JPEG, WebP and GIF truncated at many offsets never crash or hang', async () => {
    for (const [name, bytes] of [
      ['jpeg', noiseJpeg],
      ['webp', noiseWebp],
      ['gif', noiseGif],
    ] as const) {
      const step = Math.max(1, Math.floor(bytes.length / 150));
      for (let cut = 0; cut < bytes.length; cut += step) {
        const outcome = await attempt(`${name} cut at ${cut}`, bytes.subarray(0, cut));
        if (outcome.kind === 'accepted')
          expect([outcome.value.width, outcome.value.height]).toEqual([24, 24]);
      }
    }
  });

  it('random byte flips in PNG, JPEG, WebP and GIF give an ImageError or an image of the stated size', async () => {
    const files = [noisePng, noiseJpeg, noiseWebp, noiseGif];
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: files.length - 1 }),
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
            fc.integer({ min: 1, max: 255 }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        async (which, flips) => {
          const bytes = Buffer.from(files[which]!);
          for (const [where, mask] of flips) bytes[Math.floor(where * bytes.length)]! ^= mask;
          await attempt(`flipped file ${which}`, bytes);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('decompression bombs', () => {
  it('refuses a PNG whose valid header claims 30000x30000 before inflating anything', async () => {
    // A real bomb: 1-bit grey, so 112 MB of zero scanlines deflate to ~110 kB but would decode to
    // 900 megapixels (2.7 GB as RGB). The header, with a valid CRC, is all that may be read.
    const width = 30_000;
    const height = 30_000;
    const idat = deflateSync(Buffer.alloc(height * (1 + width / 8)), { level: 9 });
    expect(idat.length).toBeLessThan(200_000);
    const bomb = craftPng({ width, height, depth: 1, colorType: 0 }, idat);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const cpuBefore = cpuTimeMs();
    const error = await refused('bomb.png', bomb);
    const cpu = cpuTimeMs() - cpuBefore;
    const grew = process.memoryUsage().rss - rssBefore;
    expect(error.message).toBe(
      `bomb.png: 30000x30000 is 900000000 pixels, over the limit of ${DEFAULT_MAX_PIXELS} (maxPixels)`,
    );
    // Decoding even one page would need 900 MB; the header check stays within allocator noise.
    expect(grew).toBeLessThan(64 * 1024 * 1024);
    console.log(
      `30000x30000 PNG bomb (${bomb.length} bytes): refused in ${cpu.toFixed(1)} ms of CPU, RSS +${(grew / 2 ** 20).toFixed(1)} MiB`,
    );
  });

  it('refuses a JPEG whose frame header claims 60000x60000, and a file the same way by path', async () => {
    const bytes = Buffer.from(noiseJpeg);
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    bytes.writeUInt16BE(60_000, sof + 5);
    bytes.writeUInt16BE(60_000, sof + 7);
    expect((await refused('bomb.jpg', bytes)).message).toMatch(
      /60000x60000 is 3600000000 pixels, over the limit/,
    );

    const dir = await mkdtemp(join(tmpdir(), 'igpt-bomb-'));
    try {
      const path = join(dir, 'bomb.jpg');
      await writeFile(path, bytes);
      // Through the tally, so the file case is held to the same budget as the bytes.
      await tally.attemptAsync('bomb.jpg by path', () =>
        expect(readImage(path)).rejects.toThrow(
          new ImageError(
            `${path}: 60000x60000 is 3600000000 pixels, over the limit of ${DEFAULT_MAX_PIXELS} (maxPixels)`,
          ),
        ),
      );
      await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(ImageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('honours a lower maxPixels, counting one frame of an animation', async () => {
    expect((await refused('small.png', noisePng, { maxPixels: 24 * 24 - 1 })).message).toBe(
      'small.png: 24x24 is 576 pixels, over the limit of 575 (maxPixels)',
    );
    expect((await attempt('exactly.png', noisePng, { maxPixels: 24 * 24 })).kind).toBe('accepted');
    // Three 4x4 frames: only the first is decoded, so 16 pixels is within a limit of 16.
    const frames = Buffer.alloc(4 * 12 * 3, 128);
    const animated = await sharp(frames, { raw: { width: 4, height: 12, channels: 3, pageHeight: 4 } })
      .gif({ delay: [50, 50, 50] })
      .toBuffer();
    const outcome = await attempt('animated.gif', animated, { maxPixels: 16 });
    expect(outcome.kind === 'accepted' && [outcome.value.width, outcome.value.height]).toEqual([4, 4]);
    expect((await refused('animated.gif', animated, { maxPixels: 15 })).message).toMatch(/4x4 is 16 pixels/);
  });
});

describe('unusual but valid encodings', () => {
  it('reduces 16-bit PNGs to 8 bits by their high byte (libpng and Pillow do the same)', async () => {
    const rgb16 = [0, 65535, 25700, 12345, 128, 65280, 256, 511, 32768, 40000, 1, 65534];
    const rgb = await decoded(
      'rgb16.png',
      craftPng({ width: 2, height: 2, depth: 16, colorType: 2 }, scanlines16(2, 2, 3, rgb16)),
    );
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data)).toEqual(rgb16.map((v) => v >> 8));

    const grey16 = [0, 12345, 65535, 300];
    const grey = await decoded(
      'grey16.png',
      craftPng({ width: 4, height: 1, depth: 16, colorType: 0 }, scanlines16(4, 1, 1, grey16)),
    );
    expect(grey).toEqual({
      width: 4,
      height: 1,
      channels: 1,
      data: Uint8Array.from(grey16.map((v) => v >> 8)),
    });

    const rgba16 = [65535, 0, 32896, 65535, 4112, 8224, 12336, 0];
    const rgba = await decoded(
      'rgba16.png',
      craftPng({ width: 2, height: 1, depth: 16, colorType: 6 }, scanlines16(2, 1, 4, rgba16)),
    );
    expect(rgba.channels).toBe(4);
    expect(Array.from(rgba.data)).toEqual(rgba16.map((v) => v >> 8));
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const cmyk = await sharp({
      create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } },
    })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const image = await decoded('cmyk.jpg', cmyk);
    expect([image.width, image.height, image.channels]).toEqual([8, 8, 3]);
    for (let i = 0; i < 64; i++) {
      // Red survives the round trip through the CMYK profile: strong red, almost no green or blue.
      expect(image.data[3 * i]!).toBeGreaterThan(200);
      expect(image.data[3 * i + 1]!).toBeLessThan(40);
      expect(image.data[3 * i + 2]!).toBeLessThan(40);
    }
  });

  it('gives the first frame of an animated GIF and an animated WebP', async () => {
    const frame = (rgba: number[]) => Buffer.alloc(4 * 4 * 4).fill(Buffer.from(rgba));
    const frames = Buffer.concat([frame([255, 0, 0, 255]), frame([0, 0, 255, 255]), frame([0, 255, 0, 255])]);
    const raw = { width: 4, height: 12, channels: 4 as const, pageHeight: 4 };
    for (const format of ['gif', 'webp'] as const) {
      const pipeline = sharp(frames, { raw });
      const timing = { loop: 0, delay: [100, 100, 100] };
      const animated = await (format === 'gif'
        ? pipeline.gif(timing)
        : pipeline.webp({ ...timing, lossless: true })
      ).toBuffer();
      expect((await sharp(animated, { pages: -1 }).metadata()).pages).toBe(3);
      const image = await decoded(`animated.${format}`, animated);
      expect([image.width, image.height]).toEqual([4, 4]);
      const px = image.channels;
      for (let i = 0; i < 16; i++)
        expect(Array.from(image.data.subarray(px * i, px * i + 3))).toEqual([255, 0, 0]);
    }
  });
});

afterAll(() => {
  console.log(tally.summary('images', 'ImageError', 'decoded to a consistent image'));
});

describe('limits per side and per JPEG scan, checked from the header', () => {
  it('refuses a 1 x 67,108,864 strip (within the pixel limit) by its side, before decoding', async () => {
    const strip = blackPng(1, 67_108_864);
    expect(strip.length).toBeLessThan(200_000);
    const error = await refused('strip.png', strip);
    expect(error.message).toBe(
      `strip.png: 1x67108864 has a side of 67108864 pixels, over the limit of ${DEFAULT_MAX_SIDE} (maxSide)`,
    );
    // Raised like maxPixels, a long strip decodes.
    expect((await attempt('long.png', blackPng(2, DEFAULT_MAX_SIDE + 1))).kind).toBe('typed');
    const raised = await attempt('long.png raised', blackPng(2, DEFAULT_MAX_SIDE + 1), { maxSide: 20_000 });
    expect(raised.kind === 'accepted' && [raised.value.width, raised.value.height]).toEqual([
      2,
      DEFAULT_MAX_SIDE + 1,
    ]);
  });

  it('refuses a progressive JPEG of thousands of scans, counted in its bytes before decoding', async () => {
    const progressive = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg({ progressive: true })
      .toBuffer();
    const header = readImageHeader(progressive);
    expect(header).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
    expect(header?.scans).toBeGreaterThan(1);
    expect(header?.scans).toBeLessThanOrEqual(12); // a real progressive JPEG: about 10
    expect((await attempt('progressive.jpg', progressive)).kind).toBe('accepted');

    const crafted = repeatLastScan(progressive, 3_529);
    const error = await refused('scans.jpg', crafted);
    expect(error.message).toBe(
      `scans.jpg: a JPEG of more than ${DEFAULT_MAX_SCANS} scans, over the limit of ${DEFAULT_MAX_SCANS} (maxScans; a photo has about 10)`,
    );
    // The count stops one past the limit, and the limit is an option like maxPixels.
    expect(readImageHeader(crafted, { maxScans: 5 })?.scans).toBe(6);
    expect((await refused('scans.jpg', progressive, { maxScans: 2 })).message).toMatch(/more than 2 scans/);
  });

  it('reads the size of PNG, GIF, WebP and JPEG headers as sharp does', async () => {
    const base = sharp({ create: { width: 37, height: 23, channels: 4, background: '#123456' } });
    for (const [format, encode] of [
      ['png', () => base.clone().png()],
      ['gif', () => base.clone().gif()],
      ['webp', () => base.clone().webp({ lossless: true })],
      ['webp', () => base.clone().webp({ quality: 50 })],
      ['jpeg', () => base.clone().jpeg()],
    ] as const) {
      const bytes = await encode().toBuffer();
      expect(readImageHeader(bytes), format).toMatchObject({ format, width: 37, height: 23 });
    }
    const animated = await sharp(Buffer.alloc(4 * 12 * 4, 200), {
      raw: { width: 4, height: 12, channels: 4, pageHeight: 4 },
    })
      .webp({ loop: 0, delay: [50, 50, 50] })
      .toBuffer();
    expect(readImageHeader(animated)).toMatchObject({ format: 'webp', width: 4, height: 4 });
    expect(readImageHeader(Uint8Array.of(1, 2, 3))).toBeUndefined();
  });
});
