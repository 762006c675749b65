import { createServer, type Server } from 'node:http';
import { decodeImage, encodePng } from '@imagegpt/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImageUrl, readImageSource } from './image-source.js';
import { QueueError } from './queue-error.js';

let server: Server;
let base: string;
let png: Uint8Array;

beforeAll(async () => {
  const data = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
  png = await encodePng({ width: 4, height: 3, channels: 3, data });
  server = createServer((req, res) => {
    if (req.url === '/digit.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server?.close();
});

describe('readImageSource', () => {
  it('fetches http(s) URLs and decodes them as a file would be', async () => {
    expect(isImageUrl(`${base}/digit.png`)).toBe(true);
    expect(isImageUrl('/data/http/digit.png')).toBe(false);
    expect(await readImageSource(`${base}/digit.png`)).toEqual(await decodeImage(png));
  });

  it('names the URL and the HTTP status when the image is not there', async () => {
    const error = await readImageSource(`${base}/gone.png`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueError);
    expect((error as Error).message).toBe(`${base}/gone.png: HTTP 404 Not Found`);
  });
});
