import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import type { Role } from '@citadel/auth';
import type { FastifyRequest } from 'fastify';
import { bearerCredential } from './credential.js';
import { keyOfPresented } from './credential-key.js';
import type { Principal } from './principal.js';
import { InvalidAccessToken, TokenExchange } from './token-exchange.js';

/** The reason a 401 carries when auth refused the credential (and recorded it). */
export const EXCHANGE_REFUSED = 'credential refused by auth';
/** The reason a 401 carries when `Authorization` presents no Citadel bearer credential. */
export const NO_CREDENTIAL = 'no Citadel bearer credential in Authorization';

type Verify = (
  request: FastifyRequest,
  credential: string,
  done: (error: unknown, principal?: Principal | false) => void,
) => void;

/**
 * Passport's side of bearer authentication, on `passport-strategy`: the credential is
 * what `bearerCredential` reads from `Authorization`, the same the rate limiter charged.
 * Unlike `passport-http-bearer`, it reads no `access_token` from the body or the query
 * string (RFC 6750 §2.2/§2.3, see credential.ts): such a request has no credential.
 */
class AuthorizationBearerStrategy extends passport.Strategy {
  override readonly name = 'bearer';

  constructor(private readonly verify: Verify) {
    super();
  }

  override authenticate(request: Parameters<passport.Strategy['authenticate']>[0]): void {
    const fastifyRequest = request as unknown as FastifyRequest;
    const credential = bearerCredential(fastifyRequest.headers.authorization);
    if (!credential) return this.fail(NO_CREDENTIAL, 401);
    this.verify(fastifyRequest, credential, (error, principal) => {
      if (error) return this.error(error);
      if (!principal) return this.fail(EXCHANGE_REFUSED, 401);
      this.success(principal);
    });
  }
}

/**
 * `Authorization: Bearer cit_at_…` or `cit_ak_…`: the credential is valid when auth
 * exchanges it (and the exchange then knows it, which gives it a rate-limit budget of
 * its own).
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(AuthorizationBearerStrategy, 'bearer') {
  constructor(private readonly exchange: TokenExchange) {
    super();
  }

  async validate(request: FastifyRequest, credential: string): Promise<Principal> {
    try {
      const key = keyOfPresented(request, credential);
      const session = await this.exchange.exchange(credential, 'order', key);
      return {
        id: session.userId,
        email: session.email,
        role: session.role as Role,
        accessToken: credential,
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
