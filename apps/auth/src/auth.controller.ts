import { isIP } from 'node:net';
import { status as GrpcStatus, type ServerUnaryCall } from '@grpc/grpc-js';
import { Controller, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { PublicMethod, RequirePermission } from '@citadel/auth';
import { AuditLog, withFacts } from '@citadel/audit';
import type {
  CreateApiKeyRequest,
  CreatedApiKey,
  ListApiKeysRequest,
  ListApiKeysResponse,
  RecordEdgeDenialRequest,
  RevokeApiKeyRequest,
  DeleteCustomerRequest,
  ExchangeTokenRequest,
  GetJwksResponse,
  Jwk,
  ListCustomersResponse,
  LoginRequest,
  LogoutRequest,
} from '@citadel/contracts';
import {
  ContractMethod,
  CurrentCall,
  InvalidRequest,
  NotAllowed,
  rpcError,
  type CallContext,
} from '@citadel/transport';
import { activeTraceId } from '@citadel/observability';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { CustomerService } from './customers/customer.service.js';
import { KeyRing } from './signing/key-ring.js';
import { TokenService } from './tokens/token.service.js';
import { PasswordCheckAbandoned } from './users/password-hasher.js';

const text = (value: unknown, field: string, max: number): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new InvalidRequest(`${field} must be a string of 1..${max} characters`);
  }
  return value;
};

/** What the gateway may record in auth's trail: denials it decided at the edge. */
const EDGE_DENIALS = new Set([
  'http.unauthenticated',
  'http.forbidden',
  'http.rate-limited',
  'auth.login.throttled',
]);

/**
 * The client address the gateway sends, when it is one: a syntactically valid IPv4 or IPv6
 * address, else nothing. It becomes the fact `client_ip` the monitor groups logins by, so
 * anything else (text posing as more facts, an empty field) must not reach the record.
 */
function clientIpOf(value: unknown): string | undefined {
  return typeof value === 'string' && isIP(value) !== 0 ? value : undefined;
}

type UnaryCall = ServerUnaryCall<unknown, unknown>;

/** Handler parameter: grpc-js's own call (Nest hands a handler the request, metadata, call). */
const ServedCall = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext) => ctx.getArgByIndex(2) as UnaryCall,
);

/** setTimeout's longest delay; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Aborts once nobody waits for the call's answer: the caller cancelled it or its connection
 * went (grpc-js emits 'cancelled', also when it answered a passed deadline itself), or its
 * deadline passed. The reason is the status the call ends with. A login still queued for
 * its password check then leaves the queue unrun (password-hasher.ts: dead work must not
 * hold the queue's places). `stop()` when the handler is done: the deadline's timer is
 * cleared, not left pending for seconds for every login (AbortSignal.timeout's cannot be).
 */
function watchAbandonment(call: UnaryCall): { signal: AbortSignal; stop: () => void } {
  const abandoned = new AbortController();
  const cancelled = () => abandoned.abort(GrpcStatus.CANCELLED);
  if (call.cancelled) cancelled();
  else call.once('cancelled', cancelled);
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const timer = Number.isFinite(at)
    ? setTimeout(
        () => abandoned.abort(GrpcStatus.DEADLINE_EXCEEDED),
        Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS),
      )
    : undefined;
  return {
    signal: abandoned.signal,
    stop: () => {
      clearTimeout(timer);
      call.off('cancelled', cancelled);
    },
  };
}

/** gRPC transport for the auth service: translate, delegate, translate back. */
@Controller()
export class AuthController {
  constructor(
    private readonly tokens: TokenService,
    private readonly customers: CustomerService,
    private readonly keys: KeyRing,
    private readonly apiKeys: ApiKeyService,
    private readonly audit: AuditLog,
  ) {}

  @ContractMethod('auth')
  @PublicMethod()
  async login(@Payload() request: LoginRequest, @ServedCall() call: UnaryCall) {
    const abandonment = watchAbandonment(call);
    try {
      return await this.tokens.login(
        text(request.email, 'email', 254),
        text(request.password, 'password', 1024),
        activeTraceId(),
        { signal: abandonment.signal, clientIp: clientIpOf(request.client_ip) },
      );
    } catch (error) {
      // Dropped from the queue unrun. Nobody hears this status (the caller is gone, or
      // grpc-js answered the passed deadline itself); the access log reports the call's end.
      if (error instanceof PasswordCheckAbandoned) {
        throw rpcError(
          error.cause === GrpcStatus.DEADLINE_EXCEEDED
            ? GrpcStatus.DEADLINE_EXCEEDED
            : GrpcStatus.CANCELLED,
          'login abandoned before its password check',
        );
      }
      throw error;
    } finally {
      abandonment.stop();
    }
  }

  @ContractMethod('auth')
  @PublicMethod()
  async logout(@Payload() request: LogoutRequest) {
    await this.tokens.logout(text(request.access_token, 'access_token', 256), activeTraceId());
    return {};
  }

  @ContractMethod('auth')
  @PublicMethod()
  exchangeToken(@Payload() request: ExchangeTokenRequest, @CurrentCall() call: CallContext) {
    return this.tokens.exchange(
      call.caller,
      text(request.access_token, 'access_token', 256),
      text(request.audience, 'audience', 64),
      Number.isSafeInteger(request.ttl_seconds) ? request.ttl_seconds : 0,
      activeTraceId(),
    );
  }

  @ContractMethod('auth')
  @PublicMethod()
  getJwks(): GetJwksResponse {
    return { keys: this.keys.jwks() as Jwk[] };
  }

  @ContractMethod('auth')
  @RequirePermission('customers:read')
  async listCustomers(): Promise<ListCustomersResponse> {
    return { customers: await this.customers.list() };
  }

  @ContractMethod('auth')
  @RequirePermission('customers:delete')
  async deleteCustomer(
    @Payload() request: DeleteCustomerRequest,
    @CurrentCall() call: CallContext,
  ) {
    await this.customers.delete(text(request.id, 'id', 64), call.user!.id, activeTraceId());
    return {};
  }

  @ContractMethod('auth')
  @RequirePermission('api-keys:manage')
  createApiKey(
    @Payload() request: CreateApiKeyRequest,
    @CurrentCall() call: CallContext,
  ): Promise<CreatedApiKey> {
    if (!Array.isArray(request.scopes) || request.scopes.length > 32) {
      throw new InvalidRequest('scopes must be a list of at most 32 permissions');
    }
    return this.apiKeys.create(
      call.user!,
      {
        name: text(request.name, 'name', 64),
        scopes: request.scopes,
        ttlDays: Number(request.ttl_days ?? 0),
      },
      activeTraceId(),
    );
  }

  @ContractMethod('auth')
  @RequirePermission('api-keys:manage')
  async listApiKeys(
    @Payload() _request: ListApiKeysRequest,
    @CurrentCall() call: CallContext,
  ): Promise<ListApiKeysResponse> {
    return { keys: await this.apiKeys.list(call.user!) };
  }

  @ContractMethod('auth')
  @RequirePermission('api-keys:manage')
  async revokeApiKey(@Payload() request: RevokeApiKeyRequest, @CurrentCall() call: CallContext) {
    await this.apiKeys.revoke(call.user!, text(request.id, 'id', 64), activeTraceId());
    return {};
  }

  /** The gateway has no database: denials it decides at the edge are kept here. */
  @ContractMethod('auth')
  @PublicMethod()
  async recordEdgeDenial(
    @Payload() request: RecordEdgeDenialRequest,
    @CurrentCall() call: CallContext,
  ) {
    if (call.caller !== 'gateway') throw new NotAllowed('only the gateway records edge denials');
    if (!EDGE_DENIALS.has(request.action)) throw new InvalidRequest('action is not an edge denial');
    const clientIp = clientIpOf(request.client_ip);
    await this.audit.append({
      actor: request.actor ? text(request.actor, 'actor', 64) : 'anonymous',
      action: request.action,
      target: text(request.target, 'target', 300),
      outcome: 'denied',
      callerService: call.caller,
      traceId: request.trace_id.slice(0, 32),
      detail: withFacts(request.detail.slice(0, 300), clientIp ? { client_ip: clientIp } : {}),
    });
    return {};
  }
}
