import { Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import type { Role } from '@citadel/auth';
import type { Principal } from './principal.js';
import { InvalidAccessToken, TokenExchange } from './token-exchange.js';

const OPAQUE_TOKEN_SHAPE = /^cit_at_[A-Za-z0-9_-]{43}$/;

/**
 * `Authorization: Bearer cit_at_…`: the token is valid when auth exchanges it. Anything
 * not shaped like a Citadel token (a JWT, garbage) is refused without a call to auth.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(private readonly exchange: TokenExchange) {
    super();
  }

  async validate(token: string): Promise<Principal> {
    if (!OPAQUE_TOKEN_SHAPE.test(token)) throw new UnauthorizedException();
    try {
      const session = await this.exchange.exchange(token, 'order');
      return {
        id: session.userId,
        email: session.email,
        role: session.role as Role,
        accessToken: token,
      };
    } catch (error) {
      if (error instanceof InvalidAccessToken) throw new UnauthorizedException();
      throw error;
    }
  }
}
