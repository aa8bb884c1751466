import { Controller, Get, Inject } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiOkListResponse } from '../docs/openapi.js';
import { MONITOR_CLIENT, type MonitorClient } from '../downstream.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';

class AlertDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ example: 'refund-burst', description: 'The rule that fired, or chain-tampered' })
  rule!: string;
  @ApiProperty({
    example: 'payment',
    description: 'The service whose audit stream raised it',
    // A service's name is a workload name (packages/config services.ts).
    pattern: '^[a-z][a-z0-9-]{0,62}$',
    maxLength: 63,
  })
  service!: string;
  @ApiProperty({
    description: 'Whom it is about: a user id, an address (address:127.0.0.2) or the service',
  })
  actor!: string;
  @ApiProperty({ format: 'date-time', maxLength: 24 }) raised_at!: string;
  @ApiProperty() detail!: string;
  @ApiProperty({ enum: ['warning', 'critical'] }) severity!: string;
  @ApiProperty({
    description: 'The trace of the record that completed the pattern; empty when it had none',
    pattern: '^([0-9a-f]{32})?$',
    maxLength: 32,
  })
  trace_id!: string;
}

/** The monitor answers at most this many alerts, newest first (monitor.proto ListAlerts). */
const MAX_LISTED_ALERTS = 200;

/**
 * Security alerts the monitor's rules raised over every service's audit stream (admins
 * only). Only this route needs the monitor: with the monitor down it fails, the shop
 * does not (see /readyz).
 */
@ApiTags('admin')
@Controller('v1/admin')
export class AlertsController {
  constructor(
    @Inject(MONITOR_CLIENT) private readonly monitor: MonitorClient,
    private readonly exchange: TokenExchange,
  ) {}

  @Get('alerts')
  @Authenticated('alerts:read')
  @ApiOkListResponse(AlertDto, MAX_LISTED_ALERTS)
  async alerts(@CurrentPrincipal() principal: Principal) {
    const options = await this.exchange.callOptions(principal, 'monitor');
    const { alerts } = await this.monitor.rpc.listAlerts({ limit: MAX_LISTED_ALERTS }, options);
    return alerts ?? [];
  }
}
