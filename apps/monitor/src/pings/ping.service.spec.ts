import { openServiceDatabase, type ServiceDatabase } from '@citadel/database';
import { MONITOR_MIGRATIONS, type MonitorDatabase } from './ping.migrations.js';
import { PingRepository } from './ping.repository.js';
import { PingService } from './ping.service.js';

describe('PingService (embedded PostgreSQL)', () => {
  let database: ServiceDatabase<MonitorDatabase>;
  let service: PingService;

  beforeAll(async () => {
    database = await openServiceDatabase<MonitorDatabase>(
      'monitor',
      { kind: 'embedded-memory' },
      MONITOR_MIGRATIONS,
    );
    service = new PingService(new PingRepository(database.db));
  });
  afterAll(() => database.close());

  it('answers with the caller from the certificate and the user from the JWT, and counts', async () => {
    const ada = { id: 'u-ada', role: 'admin' };
    expect(await service.ping('gateway', ada)).toEqual({
      service: 'monitor',
      caller: 'gateway',
      user_id: 'u-ada',
      role: 'admin',
      pings: 1,
    });
    expect((await service.ping('gateway', ada)).pings).toBe(2);
    expect((await service.ping('gateway', { id: 'u-bob', role: 'customer' })).pings).toBe(1);
  });
});
