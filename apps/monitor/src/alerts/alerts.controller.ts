import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RequirePermission } from '@citadel/auth';
import { ContractMethod } from '@citadel/transport';
import type { ListAlertsRequest, ListAlertsResponse } from '@citadel/contracts';
import { AlertService } from './alert.service.js';

/** gRPC transport for the alerts admins read (through the gateway, with their JWT). */
@Controller()
export class AlertsController {
  constructor(private readonly alerts: AlertService) {}

  @ContractMethod('monitor')
  @RequirePermission('alerts:read')
  async listAlerts(@Payload() request: ListAlertsRequest): Promise<ListAlertsResponse> {
    return { alerts: await this.alerts.newest(request.limit ?? 0) };
  }
}
