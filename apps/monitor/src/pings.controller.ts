import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { RequirePermission } from '@citadel/auth';
import type { MonitorPingResponse } from '@citadel/contracts';
import { CurrentCall, type CallContext } from '@citadel/transport';
import { PingService } from './pings/ping.service.js';

/** gRPC transport for monitor. The guards have already checked caller, user and permission. */
@Controller()
export class PingsController {
  constructor(private readonly pings: PingService) {}

  @GrpcMethod('MonitorService', 'Ping')
  @RequirePermission('monitor:ping')
  ping(@CurrentCall() call: CallContext): Promise<MonitorPingResponse> {
    return this.pings.ping(call.caller, call.user!);
  }
}
