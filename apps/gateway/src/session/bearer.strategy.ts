import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { Role } from '@citadel/auth';
import type { FastifyRequest } from 'fastify';
import { traceOf } from '../trace.js';
import { keyOfPresented } from './credential-key.js';
import type { Principal } from './principal.js';
import { InvalidAccessToken, TokenExchange } from './token-exchange.js';

/** An access token (`cit_at_`) or an API key (`cit_ak_`): 256 random bits each. */
const CREDENTIAL_SHAPE = /^cit_(?:at|ak)_[A-Za-z0-9_-]{43}$/;

/**
 * `Authorization: Bearer cit_at_…` or `cit_ak_…`: the credential is valid when auth
 * exchanges it. Anything not shaped like a Citadel credential (a JWT, garbage) is refused
 * without a call to auth.
 */
/** The reason a 401 carries when auth refused the credential (and recorded it). */
export const EXCHANGE_REFUSED = 'credential refused by auth';

@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly exchange: TokenExchange) {
    super({ passReqToCallback: true });
  }

  async validate(request: FastifyRequest, token: string): Promise<Principal> {
    if (!CREDENTIAL_SHAPE.test(token)) throw new UnauthorizedException('not a Citadel credential');
    try {
      const key = keyOfPresented(request, token);
      const session = await this.exchange.exchange(
        token,
        'order',
        traceOf(request).traceparent,
        key,
      );
      return {
        id: session.userId,
        email: session.email,
        role: session.role as Role,
        accessToken: token,
        credentialKey: key,
        ...(session.scopes ? { scopes: session.scopes } : {}),
        ...(session.apiKeyId ? { apiKeyId: session.apiKeyId } : {}),
      };
    } catch (error) {
      // Auth has the refused exchange on record already.
      if (error instanceof InvalidAccessToken) throw new UnauthorizedException(EXCHANGE_REFUSED);
      throw error;
    }
  }
}
