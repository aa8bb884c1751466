import { decodeJwt } from 'jose';
import { KeyRing } from '../signing/key-ring.js';
import { storedSigningKey } from '../signing/stored-signing-key.fixture.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { AUTH_MIGRATIONS, type AuthDatabase } from '../users/auth.migrations.js';
import { UserRepository } from '../users/user.repository.js';
import { hashOpaqueToken } from './opaque-token.js';
import { AudienceNotDelegated, InvalidCredentials, InvalidToken } from './token.errors.js';
import { TokenStore } from './token.store.js';
import { TokenService } from './token.service.js';
import { AuditLog } from '@citadel/audit';
import { InvalidApiKeyRequest } from '../api-keys/api-key.errors.js';
import { ApiKeyService } from '../api-keys/api-key.service.js';
import { ApiKeyStore } from '../api-keys/api-key.store.js';

describe('TokenService', () => {
  let service: TokenService;
  let tokens: TokenStore;
  let audit: AuditLog;
  let apiKeys: ApiKeyService;
  let database: ServiceDatabase<AuthDatabase>;
  const ALICE = '0b9e7c1e-5d0c-4c55-9d43-9a3c1c0f0a11';

  afterAll(() => database.close());
  beforeAll(async () => {
    database = await openServiceDatabase<AuthDatabase>(
      'auth',
      { kind: 'embedded-memory' },
      AUTH_MIGRATIONS,
    );
    const users = new UserRepository(database.db);
    const hasher = new PasswordHasher();
    await users.add({
      id: ALICE,
      email: 'Alice@Citadel.test',
      role: 'customer',
      passwordHash: await hasher.hash('s3cret'),
    });
    tokens = new TokenStore(database.db);
    audit = new AuditLog(database.db, 'auth');
    const keyStore = new ApiKeyStore(database.db);
    apiKeys = new ApiKeyService(keyStore, audit);
    service = new TokenService(
      users,
      tokens,
      hasher,
      await KeyRing.load([await storedSigningKey()]),
      keyStore,
      audit,
    );
  });

  it('logs in, stores only the hash of the opaque token, and exchanges it for a scoped JWT', async () => {
    const { access_token } = await service.login('alice@citadel.test', 's3cret');
    expect(await tokens.find(access_token)).toBeUndefined();
    expect(await tokens.find(hashOpaqueToken(access_token))).toMatchObject({ userId: ALICE });
    const { jwt, role } = await service.exchange('gateway', access_token, 'order');
    const claims = decodeJwt(jwt);
    expect(role).toBe('customer');
    expect(claims.aud).toEqual(['order', 'payment']);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(60);
  });

  it('answers unknown user and wrong password alike', async () => {
    // Both settle at once, each caught as it settles: a rejection waiting for its handler
    // while the other login hashes is an unhandled one.
    const [wrongPassword, unknownAccount] = await Promise.all([
      service.login('alice@citadel.test', 'wrong').catch((error: unknown) => error),
      service.login('nobody@citadel.test', 's3cret').catch((error: unknown) => error),
    ]);
    expect(wrongPassword).toBeInstanceOf(InvalidCredentials);
    expect(unknownAccount).toBeInstanceOf(InvalidCredentials);
    expect(wrongPassword).toEqual(unknownAccount);
  });

  it('refuses an audience the caller may not address', async () => {
    const { access_token } = await service.login('alice@citadel.test', 's3cret');
    await expect(service.exchange('order', access_token, 'auth')).rejects.toBeInstanceOf(
      AudienceNotDelegated,
    );
    await expect(service.exchange('gateway', access_token, 'payment')).rejects.toBeInstanceOf(
      AudienceNotDelegated,
    );
  });

  it("gives the gateway a JWT for the monitor (admins' alerts), addressed to the monitor only", async () => {
    const { access_token } = await service.login('alice@citadel.test', 's3cret');
    const { jwt } = await service.exchange('gateway', access_token, 'monitor');
    expect(decodeJwt(jwt).aud).toEqual(['monitor']);
    // The services only deliver to the monitor for themselves: they get no user JWT for it.
    await expect(service.exchange('order', access_token, 'monitor')).rejects.toBeInstanceOf(
      AudienceNotDelegated,
    );
  });

  it('caps the requested lifetime at 60 s', async () => {
    const { access_token } = await service.login('alice@citadel.test', 's3cret');
    const claims = decodeJwt((await service.exchange('gateway', access_token, 'order', 3600)).jwt);
    expect(claims.exp! - claims.iat!).toBe(60);
  });

  it('logout makes the token unexchangeable at once', async () => {
    const { access_token } = await service.login('alice@citadel.test', 's3cret');
    await service.logout(access_token);
    await expect(service.exchange('gateway', access_token, 'order')).rejects.toBeInstanceOf(
      InvalidToken,
    );
  });

  it('records every login, failed or not, and every refused exchange', async () => {
    await expect(service.login('alice@citadel.test', 'wrong', 'trace-1')).rejects.toThrow();
    await service.login('alice@citadel.test', 's3cret', 'trace-2');
    await expect(
      service.exchange('gateway', 'cit_at_forged', 'order', 0, 'trace-3'),
    ).rejects.toThrow();
    const records = await audit.find();
    expect(
      records.slice(0, 3).map(({ action, outcome, traceId }) => [action, outcome, traceId]),
    ).toEqual([
      ['auth.token-exchange', 'denied', 'trace-3'],
      ['auth.login', 'ok', 'trace-2'],
      ['auth.login', 'denied', 'trace-1'],
    ]);
    expect((await audit.verify()).ok).toBe(true);
  });

  it('exchanges an API key for a JWT limited to its scopes, until it is revoked', async () => {
    const alice = { id: ALICE, role: 'customer' };
    const { key, secret } = await apiKeys.create(alice, {
      name: 'nightly export',
      scopes: ['orders:read:own'],
      ttlDays: 0,
    });
    expect(secret).toMatch(/^cit_ak_/);
    expect(JSON.stringify(await apiKeys.list(alice))).not.toContain(secret);
    const exchanged = await service.exchange('gateway', secret, 'order');
    expect(exchanged).toMatchObject({
      user_id: ALICE,
      scopes: ['orders:read:own'],
      api_key_id: key.id,
    });
    expect(decodeJwt(exchanged.jwt).scope).toBe('orders:read:own');
    await apiKeys.revoke(alice, key.id);
    await expect(service.exchange('gateway', secret, 'order')).rejects.toBeInstanceOf(InvalidToken);
  });

  it('exchanges a key stored with no scopes (an old row, a direct write) for a JWT scoped to nothing', async () => {
    const secret = `cit_ak_${'E'.repeat(43)}`;
    await new ApiKeyStore(database.db).save({
      id: '5c1b6a0e-0000-4000-8000-00000000e001',
      userId: ALICE,
      name: 'planted',
      scopes: [],
      prefix: secret.slice(0, 11),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 86_400_000),
      hash: hashOpaqueToken(secret),
    });
    const exchanged = await service.exchange('gateway', secret, 'order');
    expect(exchanged).toMatchObject({
      scopes: [],
      api_key_id: '5c1b6a0e-0000-4000-8000-00000000e001',
    });
    // Present and empty: the services read it as "limited to nothing", never as a session.
    expect(decodeJwt(exchanged.jwt)).toHaveProperty('scope', '');
  });

  it('refuses scopes the owner does not hold, and keys that mint keys', async () => {
    const alice = { id: ALICE, role: 'customer' };
    const create = (scopes: string[]) => apiKeys.create(alice, { name: 'k', scopes, ttlDays: 1 });
    for (const scopes of [['orders:refund'], ['api-keys:manage'], ['no-such:permission'], []]) {
      await expect(create(scopes)).rejects.toBeInstanceOf(InvalidApiKeyRequest);
    }
  });

  describe('an act and its record commit together', () => {
    // The embedded database runs as its superuser, so a spec may add a trigger that fails
    // the records of one account only.
    const CAROL = '0b9e7c1e-5d0c-4c55-9d43-9a3c1c0f0a13';
    beforeAll(async () => {
      await new UserRepository(database.db).add({
        id: CAROL,
        email: 'carol@citadel.test',
        role: 'customer',
        passwordHash: await new PasswordHasher().hash('s3cret'),
      });
      await sql`
        create function fail_for_spec() returns trigger language plpgsql as $$
        begin raise exception 'refused by the spec (%)', tg_table_name; end $$`.execute(
        database.db,
      );
      await sql`
        create trigger fail_records_of_carol before insert on audit_log for each row
        when (new.actor = ${sql.lit(CAROL)} and new.outcome = 'ok')
        execute function fail_for_spec()`.execute(database.db);
    });
    const tokensOfCarol = () =>
      database.db.selectFrom('access_tokens').select('hash').where('user_id', '=', CAROL).execute();

    it('a login whose record fails stores no token', async () => {
      await expect(service.login('carol@citadel.test', 's3cret')).rejects.toThrow(
        /refused by the spec/,
      );
      expect(await tokensOfCarol()).toEqual([]);
    });

    it('an API key whose record fails is not stored', async () => {
      const carol = { id: CAROL, role: 'customer' };
      await expect(
        apiKeys.create(carol, { name: 'k', scopes: ['orders:read:own'], ttlDays: 1 }),
      ).rejects.toThrow(/refused by the spec/);
      expect(await apiKeys.list(carol)).toEqual([]);
    });

    it('a logout whose record fails leaves the token alive', async () => {
      const token = `cit_at_${'C'.repeat(43)}`;
      await tokens.save({
        hash: hashOpaqueToken(token),
        userId: CAROL,
        expiresAt: Date.now() + 60_000,
      });
      await expect(service.logout(token)).rejects.toThrow(/refused by the spec/);
      expect(await tokensOfCarol()).toHaveLength(1);
    });
  });
});
