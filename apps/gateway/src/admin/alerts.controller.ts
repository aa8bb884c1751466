import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { ListAlertsResponse } from '@citadel/contracts';
import { ORDER_CLIENT, type ServiceClient } from '../downstream.js';
import { Authenticated } from '../session/permission.guard.js';
import { CurrentPrincipal, type Principal } from '../session/principal.js';
import { TokenExchange } from '../session/token-exchange.js';

class AlertDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'refund-burst' }) rule!: string;
  @ApiProperty({ description: 'The user whose actions matched the rule' }) actor!: string;
  @ApiProperty() raised_at!: string;
  @ApiProperty() detail!: string;
}

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
  @ApiOkResponse({ type: [AlertDto] })
  async alerts(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest) {
    const options = await this.exchange.callOptions(principal, 'order', request);
    const { alerts } = await this.order.call<ListAlertsResponse>('ListAlerts', {}, options);
    return alerts ?? [];
  }
}
