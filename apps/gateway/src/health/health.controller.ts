import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ApiOutsideRateLimits } from '../docs/openapi.js';
import { AUTH_CLIENT, ORDER_CLIENT, type AuthClient, type OrderClient } from '../downstream.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    @Inject(ORDER_CLIENT) private readonly order: OrderClient,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @ApiOutsideRateLimits()
  @ApiOkResponse()
  healthz() {
    return { status: 'ok' };
  }

  /**
   * Readiness: auth and order, which every shop request needs, answer the gRPC health
   * check over mTLS. The monitor is not asked: it serves only the admins' alerts, and a
   * monitor that is down must not take the shop out of rotation (the services' outboxes
   * hold their records until it is back).
   */
  @Get('readyz')
  @ApiOutsideRateLimits()
  @ApiOkResponse()
  @ApiServiceUnavailableResponse({ description: 'A downstream is not reachable over mTLS' })
  async readyz() {
    const [auth, order] = await Promise.all([this.auth.health(), this.order.health()]);
    if (!auth || !order) throw new ServiceUnavailableException();
    return { status: 'ready', downstreams: { auth: 'serving', order: 'serving' } };
  }
}
