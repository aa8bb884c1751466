import net from 'node:net';
import { jest } from '@jest/globals';
import { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from './local-postgres.js';

/** A loopback port nothing listens on (taken, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('localPostgresAvailable', () => {
  it('skips with a line that says what and why, off CI', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const admin = { ...LOCAL_POSTGRES_ADMIN, port: await deadPort() };
      expect(await localPostgresAvailable('the guard spec', {}, admin)).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^the guard spec: skipped/));
    } finally {
      warn.mockRestore();
    }
  });

  it('fails instead of skipping on CI, where PostgreSQL always runs', async () => {
    const admin = { ...LOCAL_POSTGRES_ADMIN, port: await deadPort() };
    await expect(localPostgresAvailable('the guard spec', { CI: 'true' }, admin)).rejects.toThrow(
      /the guard spec: no PostgreSQL at .*CI runs this spec/,
    );
  });
});
