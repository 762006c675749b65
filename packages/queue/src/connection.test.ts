import { createServer } from 'node:net';
import { freePort } from '@imagegpt/test-kit/redis';
import { describe, expect, it } from 'vitest';
import { connectRedis } from './connection.js';
import { QueueError } from './queue-error.js';

describe('connectRedis', () => {
  it('fails with a QueueError naming the URL (password hidden) and the reason once the timeout has passed', async () => {
    const port = await freePort();
    const error = await connectRedis(`redis://:pw@127.0.0.1:${port}/3`, { timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueueError);
    expect((error as Error).message).toBe(
      `cannot connect to Redis at redis://:***@127.0.0.1:${port}/3 within 0.3 s: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('names a server that accepts the connection but never answers (timed out, not refused)', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as { port: number };
    try {
      const error = await connectRedis(`redis://127.0.0.1:${port}`, { timeoutMs: 300 }).catch(
        (e: unknown) => e,
      );
      expect((error as Error).message).toMatch(
        `cannot connect to Redis at redis://127.0.0.1:${port} within 0.3 s`,
      );
    } finally {
      silent.close();
    }
  });
});
