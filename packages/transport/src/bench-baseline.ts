import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type * as grpc from '@grpc/grpc-js';
import { setCallContext, type UserContext } from './call-context.js';
import { nextHopTraceparent } from './rpc-trace.interceptor.js';

/**
 * The benchmark's insecure baseline (`CITADEL_INSECURE_BENCH_BASELINE`, see
 * `@citadel/config`): everything here runs only when it is on, and nothing here runs in
 * a normal start. It lets `npm run bench` measure the same handlers without the
 * internal security, to put a number on what that security costs.
 */

/** The one user every baseline request acts for: the gateway does no token exchange. */
export const BENCH_BASELINE_USER: Readonly<UserContext & { email: string }> = {
  id: '00000000-0000-4000-8000-0000000b5e11',
  role: 'customer',
  email: 'bench-baseline@citadel.test',
};

/**
 * gRPC metadata that carries the user from hop to hop in the baseline, where there is
 * no JWT. Plain `id;role`, unsigned: it is exactly what security would not accept.
 */
export const BENCH_BASELINE_USER_METADATA = 'x-citadel-bench-baseline-user';

export function encodeBaselineUser(user: UserContext): string {
  return `${user.id};${user.role}`;
}

function decodeBaselineUser(value: unknown): UserContext | undefined {
  if (typeof value !== 'string') return undefined;
  const [id, role] = value.split(';');
  return id && role ? { id, role } : undefined;
}

/**
 * Baseline only, in place of the east-west policy and the internal JWT guard: no caller
 * check, no token check. It establishes the same {@link CallContext} the real ones do, so
 * the handlers run unchanged.
 */
export class BenchBaselineGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const metadata = ctx.getArgByIndex(1) as grpc.Metadata;
    const user = metadata.get(BENCH_BASELINE_USER_METADATA)[0];
    setCallContext(metadata, {
      caller: 'unverified',
      user: decodeBaselineUser(user),
      jwt: typeof user === 'string' ? user : undefined,
      traceparent: nextHopTraceparent(metadata),
    });
    return true;
  }
}
