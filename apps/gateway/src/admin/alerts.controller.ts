import { Controller, Get, Inject } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import type { ListAlertsResponse } from '@citadel/contracts';
import { ApiOkListResponse } from '../docs/openapi.js';
import { ORDER_CLIENT, type ServiceClient } from '../downstream.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';

class AlertDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id!: string;
  @ApiProperty({ example: 'refund-burst' }) rule!: string;
  @ApiProperty({ description: 'The user whose actions matched the rule' }) actor!: string;
  @ApiProperty({ format: 'date-time', maxLength: 24 }) raised_at!: string;
  @ApiProperty() detail!: string;
}

/** The order service lists the newest 200 alerts (packages/audit anomaly.ts). */
const MAX_LISTED_ALERTS = 200;

/** Security alerts raised by the anomaly rules (admins only). */
@ApiTags('admin')
@Controller('v1/admin')
export class AlertsController {
  constructor(
    @Inject(ORDER_CLIENT) private readonly order: ServiceClient,
    private readonly exchange: TokenExchange,
  ) {}

  @Get('alerts')
  @Authenticated('alerts:read')
  @ApiOkListResponse(AlertDto, MAX_LISTED_ALERTS)
  async alerts(@CurrentPrincipal() principal: Principal) {
    const options = await this.exchange.callOptions(principal, 'order');
    const { alerts } = await this.order.call<ListAlertsResponse>('ListAlerts', {}, options);
    return alerts ?? [];
  }
}
