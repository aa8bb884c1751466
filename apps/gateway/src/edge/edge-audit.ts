import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { RecordEdgeDenialRequest } from '@citadel/contracts';
import type { Logger } from '@citadel/observability';
import { AUTH_CLIENT, type AuthClient } from '../downstream.js';
import { requestTraceId } from '../trace.js';

export const EDGE_LOG = Symbol('EDGE_LOG');

export type EdgeDenialAction =
  'http.unauthenticated' | 'http.forbidden' | 'http.rate-limited' | 'auth.login.throttled';

/**
 * Denials the gateway decides on its own (no credential, a role without the route's
 * permission, a spent rate limit) go on record in auth's audit trail: the gateway keeps
 * no database. Sent after the answer is decided and never awaited by it; a failure to
 * record is logged, not turned into a 5xx for the caller.
 */
@Injectable()
export class EdgeAudit {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    @Inject(EDGE_LOG) private readonly log: Pick<Logger, 'warn' | 'error'>,
  ) {}

  record(
    request: FastifyRequest,
    action: EdgeDenialAction,
    detail: string,
    options: { actor?: string; target?: string } = {},
  ): void {
    const denial: RecordEdgeDenialRequest = {
      actor: options.actor ?? '',
      action,
      target: options.target ?? `${request.method} ${request.routeOptions?.url ?? request.url}`,
      detail,
      trace_id: requestTraceId(),
      client_ip: request.ip,
    };
    this.log.warn({ event: 'access.denied', ...denial }, 'access denied at the edge');
    this.auth.rpc
      .recordEdgeDenial(denial)
      .catch((error: unknown) =>
        this.log.error(
          { event: 'audit.edge-record-failed', err: error },
          'edge denial not recorded',
        ),
      );
  }
}
