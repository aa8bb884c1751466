import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Role } from '@citadel/auth';
import type { CredentialKey } from './credential-key.js';
import { httpRequestOf } from './http-context.js';

/** The caller of a gateway route, as established by exchanging its opaque token. */
export interface Principal {
  id: string;
  email: string;
  role: Role;
  /** The opaque token or API key it presented; only ever sent on to auth. */
  accessToken: string;
  /** What the gateway keys that credential by (its SHA-256), as the bearer strategy hashed it. */
  credentialKey: CredentialKey;
  /**
   * An API key's scopes (the permissions it is limited to; empty grants nothing); absent
   * for user sessions.
   */
  scopes?: string[];
  /** The API key, when the credential is one. */
  apiKeyId?: string;
}

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    httpRequestOf<{ user: Principal }>(ctx).user,
);
