import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { AUTH_CLIENT, ORDER_CLIENT, type AuthClient, type OrderClient } from '../downstream.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';

/** The services whose trails the gateway can reach (payment answers only to order). */
const AUDITED = ['auth', 'order'] as const;
type Audited = (typeof AUDITED)[number];

export class AuditQueryDto {
  @ApiProperty({ enum: AUDITED })
  @IsIn(AUDITED)
  service!: Audited;

  @ApiProperty({
    required: false,
    description: 'W3C trace id (32 hex digits)',
    pattern: '^[0-9a-f]{32}$',
    maxLength: 32,
  })
  @IsOptional()
  @Matches(/^[0-9a-f]{32}$/, { message: 'trace_id must be 32 lower-case hex digits' })
  trace_id?: string;

  @ApiProperty({ required: false, pattern: '^[\\w:.@-]{1,64}$', maxLength: 64 })
  @IsOptional()
  @Matches(/^[\w:.@-]{1,64}$/, { message: 'actor must be a user id or service:<name>' })
  actor?: string;

  @ApiProperty({
    required: false,
    example: 'order.refund',
    pattern: '^[a-z][a-z.-]{1,63}$',
    maxLength: 64,
  })
  @IsOptional()
  @Matches(/^[a-z][a-z.-]{1,63}$/, { message: 'action must look like order.refund' })
  action?: string;

  @ApiProperty({ required: false, type: 'integer', format: 'int32', minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

/**
 * The audit trails of auth and order, for admins: records, and each chain's verification.
 * `npm run audit:verify` checks every service's chain, payment's included.
 */
@ApiTags('admin')
@Controller('v1/admin/audit')
export class AuditController {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    @Inject(ORDER_CLIENT) private readonly order: OrderClient,
    private readonly exchange: TokenExchange,
  ) {}

  @Get()
  @Authenticated('audit:read')
  @ApiOkResponse({ description: 'The newest matching records, newest first' })
  async records(@Query() query: AuditQueryDto, @CurrentPrincipal() principal: Principal) {
    const { rpc, options } = await this.trail(query.service, principal);
    const request = {
      trace_id: query.trace_id ?? '',
      actor: query.actor ?? '',
      action: query.action ?? '',
      limit: query.limit ?? 100,
    };
    const { records } = await rpc.listAudit(request, options);
    return records ?? [];
  }

  @Get('verify')
  @Authenticated('audit:read')
  @ApiOkResponse({ description: "Each reachable service's chain: ok, or its first broken record" })
  async verify(@CurrentPrincipal() principal: Principal) {
    return Promise.all(
      AUDITED.map(async (service) => {
        const { rpc, options } = await this.trail(service, principal);
        return rpc.verifyAudit({}, options);
      }),
    );
  }

  /** `service`'s client (its audit methods are every contract's) and the admin's JWT for it. */
  private async trail(service: Audited, principal: Principal) {
    const options = await this.exchange.callOptions(principal, service);
    return { rpc: (service === 'auth' ? this.auth : this.order).rpc, options };
  }
}
