import { NotAllowed, Unauthenticated } from '@citadel/transport';

/**
 * Unknown account or wrong password: one answer for both, so the caller cannot tell which
 * accounts exist. Which it was is on the `auth.login` record.
 */
export class InvalidCredentials extends Unauthenticated {
  constructor() {
    super('invalid credentials');
  }
}

/**
 * A forged, expired, revoked or guessed edge credential. What it looked like is on the
 * `auth.token-exchange` record, not in the answer.
 */
export class InvalidToken extends Unauthenticated {
  constructor() {
    super('invalid token');
  }
}

/** The calling service does not call `audience` on users' behalf (the east-west policy). */
export class AudienceNotDelegated extends NotAllowed {
  constructor(caller: string, audience: string) {
    super(`${caller} may not obtain tokens for ${audience}`);
  }
}
