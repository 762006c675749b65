import { describe, expect, it } from 'vitest';
import { QueueError } from './queue-error.js';
import { parseRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('takes redis:// and rediss:// with user, password, port and db, and hides the password', () => {
    expect(parseRedisUrl('redis://localhost:6379')).toEqual({
      url: 'redis://localhost:6379',
      display: 'redis://localhost:6379',
      tls: false,
    });
    const secret = parseRedisUrl('rediss://worker:s3cr%40t@queue.internal:6380/2');
    expect(secret.tls).toBe(true);
    expect(secret.url).toBe('rediss://worker:s3cr%40t@queue.internal:6380/2');
    expect(secret.display).toBe('rediss://worker:***@queue.internal:6380/2');
    expect(parseRedisUrl('redis://:pw@h').display).toBe('redis://:***@h');
  });

  it.each([
    ['localhost:6379', /--queue "localhost:6379" is not a URL|the scheme is localhost/],
    ['http://localhost:6379', /--queue http:\/\/localhost:6379: the scheme is http; expected redis:\/\//],
    ['redis://h:1/zero', /the database "zero" is not a number/],
    ['redis://:pw@h:1/x?tls=1', /--queue redis:\/\/:\*\*\*@h:1\/x\?tls=1: the database "x"/],
    ['redis://h:1/0?family=6', /query strings and fragments are not read/],
    ['not a url', /--queue "not a url" is not a URL/],
  ])('refuses %s, naming it', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(QueueError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });
});
