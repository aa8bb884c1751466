import type { AuthClient } from '../downstream.js';
import { credentialKey } from './credential-key.js';
import type { RevocationFeed, RevocationListener } from './revocation.js';
import { InvalidAccessToken, TokenExchange } from './token-exchange.js';

function fakeAuth(expiresInSeconds: number) {
  const calls: string[] = [];
  const client = {
    rpc: {
      exchangeToken: async (request: { access_token: string; audience: string }) => {
        calls.push(`${request.access_token}:${request.audience}`);
        if (request.access_token === 'revoked')
          throw Object.assign(new Error('x'), { code: 16, details: 'x' });
        return {
          jwt: `jwt-${calls.length}`,
          expires_at: Math.floor(Date.now() / 1000) + expiresInSeconds,
          user_id: 'u1',
          email: 'a@b.c',
          role: 'customer',
        };
      },
    },
  } as unknown as AuthClient;
  return { client, calls };
}

describe('TokenExchange', () => {
  it('caches per token and audience, and dedupes concurrent exchanges', async () => {
    const { client, calls } = fakeAuth(60);
    const exchange = new TokenExchange(client);
    await Promise.all([exchange.exchange('t1', 'order'), exchange.exchange('t1', 'order')]);
    await exchange.exchange('t1', 'order');
    await exchange.exchange('t1', 'auth');
    expect(calls).toEqual(['t1:order', 't1:auth']);
  });

  it('does not hand out a JWT within 15 s of its expiry', async () => {
    const { client, calls } = fakeAuth(10);
    const exchange = new TokenExchange(client);
    await exchange.exchange('t1', 'order');
    await exchange.exchange('t1', 'order');
    expect(calls).toHaveLength(2);
  });

  it('forgets a token on logout and a user on deletion', async () => {
    const { client, calls } = fakeAuth(60);
    const exchange = new TokenExchange(client);
    await exchange.exchange('t1', 'order');
    await exchange.revoke({ credential: credentialKey('t1') });
    await exchange.exchange('t1', 'order');
    await exchange.revoke({ userId: 'u1' });
    await exchange.exchange('t1', 'order');
    expect(calls).toHaveLength(3);
  });

  it('knows a credential by its key while one of its exchanges is usable, and forgets a revoked API key', async () => {
    const { client } = fakeAuth(60);
    const apiKeyAuth = {
      rpc: {
        exchangeToken: async (...args: Parameters<AuthClient['rpc']['exchangeToken']>) => ({
          ...(await client.rpc.exchangeToken(...args)),
          api_key_id: 'ak-1',
          scopes: ['orders:read:own'],
        }),
      },
    } as unknown as AuthClient;
    const exchange = new TokenExchange(apiKeyAuth);
    expect(exchange.isKnown(credentialKey('k1'))).toBe(false);
    await exchange.exchange('k1', 'auth');
    await exchange.exchange('k2', 'order');
    expect(exchange.isKnown(credentialKey('k1'))).toBe(true);
    expect(exchange.isKnown(credentialKey('k2'))).toBe(true);
    await exchange.revoke({ apiKeyId: 'ak-1' });
    expect(exchange.isKnown(credentialKey('k1'))).toBe(false);
    expect(exchange.isKnown(credentialKey('k2'))).toBe(false);

    const { client: shortLived } = fakeAuth(10);
    const nearExpiry = new TokenExchange(shortLived);
    await nearExpiry.exchange('t1', 'order');
    expect(nearExpiry.isKnown(credentialKey('t1'))).toBe(false);
  });

  it("gives a downstream call the audience's JWT (its trace travels by itself)", async () => {
    const exchange = new TokenExchange(fakeAuth(60).client);
    const options = await exchange.callOptions(
      { accessToken: 't1', credentialKey: credentialKey('t1') },
      'auth',
    );
    expect(options).toEqual({ jwt: 'jwt-1' });
  });

  it('turns UNAUTHENTICATED from auth into InvalidAccessToken', async () => {
    const exchange = new TokenExchange(fakeAuth(60).client);
    await expect(exchange.exchange('revoked', 'order')).rejects.toBeInstanceOf(InvalidAccessToken);
  });

  describe('revocations', () => {
    /** An auth whose answers the test releases one by one, after revoking the token at auth. */
    function controllableAuth() {
      const pending: { token: string; answer(revokedAtAuth: boolean): void }[] = [];
      const client = {
        rpc: {
          exchangeToken: (request: { access_token: string }) =>
            new Promise((resolve, reject) =>
              pending.push({
                token: request.access_token,
                answer: (revokedAtAuth) =>
                  revokedAtAuth
                    ? reject(Object.assign(new Error('revoked'), { code: 16 }))
                    : resolve({
                        jwt: `jwt-${pending.length}`,
                        expires_at: Math.floor(Date.now() / 1000) + 60,
                        user_id: 'u1',
                        email: 'a@b.c',
                        role: 'customer',
                      }),
              }),
            ),
        },
      } as unknown as AuthClient;
      /** Auth answers its `index`th exchange (from 0): verified, or refused as revoked. */
      const answer = (index: number, revokedAtAuth: boolean) => {
        const call = pending[index];
        if (!call) throw new Error(`no exchange #${index} reached auth`);
        call.answer(revokedAtAuth);
      };
      return { client, pending, answer };
    }

    it('an exchange in flight when its credential is revoked leaves no usable entry, and a later request does not join it', async () => {
      const { client, pending, answer } = controllableAuth();
      const exchange = new TokenExchange(client);
      const key = credentialKey('t1');
      const before = exchange.exchange('t1', 'order', key);
      expect(pending).toHaveLength(1);

      // Logout: auth revokes, then the gateway publishes, while the exchange is in flight.
      await exchange.revoke({ credential: key });
      const after = exchange.exchange('t1', 'order', key);
      expect(pending).toHaveLength(2); // its own exchange, not the one started before
      answer(0, false); // auth had verified the token before the logout
      answer(1, true);
      await expect(before).resolves.toMatchObject({ userId: 'u1' });
      await expect(after).rejects.toBeInstanceOf(InvalidAccessToken);

      expect(exchange.isKnown(key)).toBe(false);
      const next = exchange.exchange('t1', 'order', key);
      expect(pending).toHaveLength(3); // asked auth again: nothing was cached
      answer(2, true);
      await expect(next).rejects.toBeInstanceOf(InvalidAccessToken);
    });

    it("the same race for a user's revocation (account deleted, password or role changed)", async () => {
      const { client, answer } = controllableAuth();
      const exchange = new TokenExchange(client);
      const inFlight = exchange.exchange('t1', 'auth');
      await exchange.revoke({ userId: 'u1' });
      answer(0, false);
      await inFlight;
      expect(exchange.isKnown(credentialKey('t1'))).toBe(false);
    });

    /** A feed whose health the test sets, and whose listeners it drives. */
    function controllableFeed() {
      const listeners: RevocationListener[] = [];
      const feed: RevocationFeed & { trusted: boolean } = {
        trusted: true,
        publish: (revocation) => {
          for (const listener of listeners) listener.revoke(revocation);
          return Promise.resolve();
        },
        listen: (listener) => void listeners.push(listener),
        close: () => Promise.resolve(),
      };
      return { feed, flush: () => listeners.forEach((listener) => listener.flush()) };
    }

    it('while the feed is not known-good every request is exchanged at auth; after a gap the cache is flushed', async () => {
      const { client, calls } = fakeAuth(60);
      const { feed, flush } = controllableFeed();
      const exchange = new TokenExchange(client, feed);
      await exchange.exchange('t1', 'order');
      await exchange.exchange('t1', 'order');
      expect(calls).toHaveLength(1);

      feed.trusted = false;
      await exchange.exchange('t1', 'order');
      await exchange.exchange('t1', 'order');
      expect(calls).toHaveLength(3); // the cached entry is not used, nothing new is cached

      flush();
      expect(exchange.isKnown(credentialKey('t1'))).toBe(false);
      feed.trusted = true;
      await exchange.exchange('t1', 'order');
      expect(calls).toHaveLength(4); // the entry from before the gap is gone
      await exchange.exchange('t1', 'order');
      expect(calls).toHaveLength(4);
    });
  });
});
