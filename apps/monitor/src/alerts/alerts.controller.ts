import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import { RequirePermission } from '@citadel/auth';
import type { ListAlertsRequest, ListAlertsResponse } from '@citadel/contracts';
import { AlertService } from './alert.service.js';

/** gRPC transport for the alerts admins read (through the gateway, with their JWT). */
@Controller()
export class AlertsController {
  constructor(private readonly alerts: AlertService) {}

  @GrpcMethod('MonitorService', 'ListAlerts')
  @RequirePermission('alerts:read')
  async list(@Payload() request: ListAlertsRequest): Promise<ListAlertsResponse> {
    return { alerts: await this.alerts.newest(request.limit ?? 0) };
  }
}
