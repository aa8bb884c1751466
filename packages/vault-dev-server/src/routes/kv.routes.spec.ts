import { startTestVault, type TestVault } from '../testing/harness.js';

describe('KV version 2', () => {
  let vault: TestVault;
  beforeEach(async () => {
    vault = await startTestVault();
    await vault.call('POST', 'sys/mounts/secret', {
      body: { type: 'kv', options: { version: '2' } },
    });
  });
  afterEach(() => vault.server.close());

  const write = (path: string, data: unknown, options?: unknown) =>
    vault.call('POST', `secret/data/${path}`, { body: { data, ...(options ? { options } : {}) } });

  it('writes versions and reads the latest or a chosen one, in Vault’s envelope', async () => {
    const first = await write('order/db', { password: 'one' });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({
      created_time: '2030-01-01T00:00:00.000Z',
      custom_metadata: null,
      deletion_time: '',
      destroyed: false,
      version: 1,
    });
    vault.clock.advance(60);
    expect(
      (await vault.call('PUT', 'secret/data/order/db', { body: { data: { password: 'two' } } }))
        .body.data.version,
    ).toBe(2);

    const latest = await vault.call('GET', 'secret/data/order/db');
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      wrap_info: null,
      warnings: null,
      auth: null,
      data: {
        data: { password: 'two' },
        metadata: {
          created_time: '2030-01-01T00:01:00.000Z',
          custom_metadata: null,
          deletion_time: '',
          destroyed: false,
          version: 2,
        },
      },
    });
    expect(typeof latest.body.request_id).toBe('string');
    const older = await vault.call('GET', 'secret/data/order/db?version=1');
    expect(older.body.data.data).toEqual({ password: 'one' });
    expect(older.body.data.metadata.version).toBe(1);
    expect(await vault.call('GET', 'secret/data/order/db?version=3')).toEqual({
      status: 404,
      body: { errors: [] },
    });
  });

  it('answers a missing secret with 404 and an empty error list', async () => {
    expect(await vault.call('GET', 'secret/data/nothing')).toEqual({
      status: 404,
      body: { errors: [] },
    });
    expect((await vault.call('GET', 'secret/metadata/nothing')).status).toBe(404);
  });

  it('enforces check-and-set', async () => {
    expect((await write('payment/key', { k: 1 }, { cas: 0 })).status).toBe(200);
    const stale = await write('payment/key', { k: 2 }, { cas: 0 });
    expect(stale).toEqual({
      status: 400,
      body: { errors: ['check-and-set parameter did not match the current version'] },
    });
    expect((await write('payment/key', { k: 2 }, { cas: 2 })).status).toBe(400);
    expect((await write('payment/key', { k: 2 }, { cas: 1 })).body.data.version).toBe(2);
    expect((await vault.call('GET', 'secret/data/payment/key')).body.data.data).toEqual({ k: 2 });
  });

  it('refuses a write without data', async () => {
    const result = await vault.call('POST', 'secret/data/x', { body: { password: 'flat' } });
    expect(result).toEqual({ status: 400, body: { errors: ['no data provided'] } });
  });

  it('reports metadata with every version', async () => {
    await write('order/db', { v: 1 });
    vault.clock.advance(5);
    await write('order/db', { v: 2 });
    const metadata = await vault.call('GET', 'secret/metadata/order/db');
    expect(metadata.status).toBe(200);
    expect(metadata.body.data).toEqual({
      cas_required: false,
      created_time: '2030-01-01T00:00:00.000Z',
      current_version: 2,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: '2030-01-01T00:00:05.000Z',
      versions: {
        '1': { created_time: '2030-01-01T00:00:00.000Z', deletion_time: '', destroyed: false },
        '2': { created_time: '2030-01-01T00:00:05.000Z', deletion_time: '', destroyed: false },
      },
    });
  });

  it('keeps the last 10 versions, as Vault does by default', async () => {
    for (let i = 1; i <= 12; i++) await write('busy', { i });
    const metadata = (await vault.call('GET', 'secret/metadata/busy')).body.data;
    expect(metadata.current_version).toBe(12);
    expect(metadata.oldest_version).toBe(3);
    expect(Object.keys(metadata.versions)).toHaveLength(10);
    expect((await vault.call('GET', 'secret/data/busy?version=2')).status).toBe(404);
    expect((await vault.call('GET', 'secret/data/busy?version=3')).body.data.data).toEqual({
      i: 3,
    });
  });

  it('lists keys and folders, by LIST or GET ?list=true, and 404s an empty folder', async () => {
    await write('order/db', { a: 1 });
    await write('order/api/key', { a: 1 });
    await write('payment/key', { a: 1 });
    await write('top', { a: 1 });
    expect((await vault.call('LIST', 'secret/metadata')).body.data.keys).toEqual([
      'order/',
      'payment/',
      'top',
    ]);
    expect((await vault.call('LIST', 'secret/metadata/order')).body.data.keys).toEqual([
      'api/',
      'db',
    ]);
    for (const flag of ['true', '1']) {
      const listed = await vault.call('GET', `secret/metadata/order/?list=${flag}`);
      expect(listed.body.data.keys).toEqual(['api/', 'db']);
    }
    expect(await vault.call('LIST', 'secret/metadata/nothing')).toEqual({
      status: 404,
      body: { errors: [] },
    });
  });

  it('deletes a key with all its versions through its metadata', async () => {
    await write('order/db', { a: 1 });
    await write('order/db', { a: 2 });
    expect(await vault.call('DELETE', 'secret/metadata/order/db')).toEqual({
      status: 204,
      body: undefined,
    });
    expect((await vault.call('GET', 'secret/data/order/db')).status).toBe(404);
    expect((await vault.call('GET', 'secret/data/order/db?version=1')).status).toBe(404);
    expect((await vault.call('LIST', 'secret/metadata/order')).status).toBe(404);
    expect((await write('order/db', { a: 3 })).body.data.version).toBe(1);
  });

  it('stores keys named like Object.prototype members as ordinary keys', async () => {
    await write('__proto__', { polluted: true });
    await write('constructor', { a: 1 });
    expect((await vault.call('GET', 'secret/data/__proto__')).body.data.data).toEqual({
      polluted: true,
    });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await vault.call('GET', 'secret/data/toString')).status).toBe(404);
    expect((await vault.call('LIST', 'secret/metadata')).body.data.keys).toEqual([
      '__proto__',
      'constructor',
    ]);
  });

  it('serves KV only under a mounted engine', async () => {
    expect((await vault.call('GET', 'other/data/x')).status).toBe(404);
    expect((await vault.call('GET', 'secret/config')).status).toBe(404);
  });
});
