import { EventEmitter } from 'node:events';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { AuditLog, detailFacts } from '@citadel/audit';
import type { Draft, LoginRequest, RecordEdgeDenialRequest } from '@citadel/contracts';
import { openServiceDatabase, type ServiceDatabase } from '@citadel/database';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { ApiKeyStore } from './api-keys/api-key.store.js';
import { AuthController } from './auth.controller.js';
import { CustomerService } from './customers/customer.service.js';
import { KeyRing } from './signing/key-ring.js';
import { storedSigningKey } from './signing/stored-signing-key.fixture.js';
import { TokenService } from './tokens/token.service.js';
import { TokenStore } from './tokens/token.store.js';
import { AUTH_MIGRATIONS, type AuthDatabase } from './users/auth.migrations.js';
import { PasswordHasher } from './users/password-hasher.js';
import { UserRepository } from './users/user.repository.js';

/** grpc-js's call as the login handler uses it: live, no deadline. */
function servedCall(): ServerUnaryCall<unknown, unknown> {
  return Object.assign(new EventEmitter(), {
    cancelled: false,
    getDeadline: () => Infinity,
  }) as unknown as ServerUnaryCall<unknown, unknown>;
}

describe('AuthController: the client address on the record', () => {
  let database: ServiceDatabase<AuthDatabase>;
  let audit: AuditLog;
  let controller: AuthController;

  beforeAll(async () => {
    database = await openServiceDatabase<AuthDatabase>(
      'auth',
      { kind: 'embedded-memory' },
      AUTH_MIGRATIONS,
    );
    const users = new UserRepository(database.db);
    const hasher = new PasswordHasher();
    await users.add({
      id: '0b9e7c1e-5d0c-4c55-9d43-9a3c1c0f0a12',
      email: 'erin@citadel.test',
      role: 'customer',
      passwordHash: await hasher.hash('s3cret'),
    });
    audit = new AuditLog(database.db, 'auth');
    const tokens = new TokenStore(database.db);
    const apiKeys = new ApiKeyStore(database.db);
    const keys = await KeyRing.load([await storedSigningKey()]);
    controller = new AuthController(
      new TokenService(users, tokens, hasher, keys, apiKeys, audit),
      new CustomerService(users, tokens, audit),
      keys,
      new ApiKeyService(apiKeys, audit),
      audit,
    );
  });
  afterAll(() => database.close());

  /** `client_ip` may be missing altogether: proto-loader fills it, but do not count on it. */
  const login = (request: Draft<LoginRequest>) =>
    controller.login(request as LoginRequest, servedCall()).then(
      () => 'ok',
      () => 'refused',
    );
  const newestDetail = async (action: string) =>
    (await audit.find({ action, limit: 1 }))[0]!.detail;

  it.each(['127.0.0.2', '2001:db8::7', '::ffff:192.0.2.1'])(
    'puts client_ip=%s on both auth.login records',
    async (ip) => {
      expect(await login({ email: 'erin@citadel.test', password: 'wrong', client_ip: ip })).toBe(
        'refused',
      );
      expect(await newestDetail('auth.login')).toBe(`wrong password client_ip=${ip}`);
      expect(await login({ email: 'erin@citadel.test', password: 's3cret', client_ip: ip })).toBe(
        'ok',
      );
      expect(detailFacts(await newestDetail('auth.login'))).toEqual({ client_ip: ip });
    },
  );

  it.each(['', 'localhost', '127.0.0.2 client_ip=10.0.0.1', '999.1.1.1', undefined])(
    'records no client_ip for %p, which is no IP address',
    async (ip) => {
      await login({ email: 'nobody@citadel.test', password: 'x', client_ip: ip });
      expect(await newestDetail('auth.login')).toBe('unknown account');
      await login({ email: 'erin@citadel.test', password: 's3cret', client_ip: ip });
      expect(await newestDetail('auth.login')).toBe('');
    },
  );

  const denial = (overrides: Partial<RecordEdgeDenialRequest>): RecordEdgeDenialRequest => ({
    actor: '',
    action: 'http.unauthenticated',
    target: 'GET /v1/orders',
    detail: 'no credential',
    trace_id: '',
    client_ip: '',
    ...overrides,
  });
  const recordDenial = (request: RecordEdgeDenialRequest) =>
    controller.recordEdgeDenial(request, { caller: 'gateway' });

  it("states an edge denial's client address as the fact client_ip", async () => {
    await recordDenial(denial({ client_ip: '203.0.113.9' }));
    expect(await newestDetail('http.unauthenticated')).toBe('no credential client_ip=203.0.113.9');
  });

  it('lets no text of an edge denial pose as a fact, and drops an address that is none', async () => {
    await recordDenial(denial({ detail: 'client_ip=10.0.0.1 said so', client_ip: 'nope' }));
    const detail = await newestDetail('http.unauthenticated');
    expect(detail).toBe('client_ip:10.0.0.1 said so');
    expect(detailFacts(detail)).toEqual({});
  });
});
