import { jest } from '@jest/globals';
import { deadPort } from './dead-port.js';
import { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from './local-postgres.js';

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
