import { jest } from '@jest/globals';
import { deadPort } from './dead-port.js';
import { localRedis, localRedisAvailable } from './local-redis.js';

describe('localRedis', () => {
  it('skips with a line that says what and why, off CI', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const url = `redis://127.0.0.1:${await deadPort()}`;
      expect(await localRedis('the shared-counter spec', url, {})).toBeUndefined();
      expect(await localRedisAvailable('the shared-counter spec', url, {})).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^the shared-counter spec: skipped/));
    } finally {
      warn.mockRestore();
    }
  });

  it('fails instead of skipping on CI, where Redis always runs', async () => {
    const url = `redis://127.0.0.1:${await deadPort()}`;
    await expect(localRedis('the shared-counter spec', url, { CI: 'true' })).rejects.toThrow(
      /the shared-counter spec: no Redis at .*CI runs this spec/,
    );
  });

  it("answers with a connected client to this machine's Redis", async () => {
    const client = await localRedis('this spec');
    if (!client) return; // Off CI without Redis: said by the line above.
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
