import { UnauthorizedException } from '@nestjs/common';
import passport from 'passport';
import { BearerStrategy, EXCHANGE_REFUSED, NO_CREDENTIAL } from './bearer.strategy.js';
import { InvalidAccessToken, type TokenExchange } from './token-exchange.js';

const good = `cit_at_${'g'.repeat(43)}`;
const revoked = `cit_at_${'r'.repeat(43)}`;

/** An exchange that knows `good` only; the credentials it was asked about. */
function fakeExchange() {
  const asked: string[] = [];
  const exchange = {
    exchange: async (credential: string) => {
      asked.push(credential);
      if (credential !== good) throw new InvalidAccessToken();
      return { jwt: 'jwt', usableUntil: Infinity, userId: 'u1', email: 'a@b.c', role: 'customer' };
    },
  } as unknown as TokenExchange;
  return { exchange, asked };
}

/** Passport's verdict on `request`, as @nestjs/passport's guard receives it. */
function authenticate(request: object): Promise<{ error: unknown; user: unknown; info: unknown }> {
  return new Promise((resolve) => {
    passport.authenticate(
      'bearer',
      { session: false },
      (error: unknown, user: unknown, info: unknown) => resolve({ error, user, info }),
    )({ method: 'GET', url: '/v1/me', presentedCredential: null, ...request }, {}, () => {});
  });
}

describe('BearerStrategy', () => {
  it('authenticates the credential in Authorization, whatever the case of the scheme', async () => {
    const { exchange, asked } = fakeExchange();
    new BearerStrategy(exchange);
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const { error, user } = await authenticate({
        headers: { authorization: `${scheme} ${good}` },
      });
      expect(error).toBeNull();
      expect(user).toMatchObject({ id: 'u1', accessToken: good });
    }
    expect(asked).toEqual([good, good, good]);
  });

  it('takes no token from the query string or the body (RFC 6750 §2.1)', async () => {
    const { exchange, asked } = fakeExchange();
    new BearerStrategy(exchange);
    for (const request of [
      { headers: {}, query: { access_token: good } },
      { headers: {}, body: { access_token: good } },
      { headers: { authorization: `Basic ${good}` }, query: { access_token: good } },
    ]) {
      const { error, user, info } = await authenticate(request);
      expect({ error, user, info }).toEqual({ error: null, user: false, info: NO_CREDENTIAL });
    }
    expect(asked).toEqual([]);
  });

  it('refuses a credential auth refuses, as auth already recorded it', async () => {
    const { exchange } = fakeExchange();
    new BearerStrategy(exchange);
    const { error } = await authenticate({ headers: { authorization: `Bearer ${revoked}` } });
    expect(error).toBeInstanceOf(UnauthorizedException);
    expect((error as Error).message).toBe(EXCHANGE_REFUSED);
  });
});
