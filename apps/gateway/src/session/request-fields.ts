import type { FastifyInstance } from 'fastify';

/**
 * What Passport (0.7) and @nestjs/passport assign on every request they authenticate: the
 * principal (`user`), `authInfo`, Passport's session helpers and its session manager.
 */
export const PASSPORT_REQUEST_FIELDS = [
  'user',
  'authInfo',
  'login',
  'logIn',
  'logout',
  'logOut',
  'isAuthenticated',
  'isUnauthenticated',
  '_sessionManager',
] as const;

/**
 * Declares Passport's request fields to Fastify, which then builds every request object
 * with them already in place. Otherwise each authenticated request would gain nine
 * properties one by one, its property storage copied as it grows (~0.4 KB per request).
 */
export function declarePassportRequestFields(fastify: FastifyInstance): void {
  for (const field of PASSPORT_REQUEST_FIELDS) fastify.decorateRequest(field, null);
}
