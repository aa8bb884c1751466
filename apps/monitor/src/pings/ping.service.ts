import { Injectable } from '@nestjs/common';
import type { MonitorPingResponse } from '@citadel/contracts';
import type { UserContext } from '@citadel/transport';
import { PingRepository } from './ping.repository.js';

/**
 * The use case behind Ping: who is calling, as this service sees it. The calling service
 * comes from its mTLS certificate and the user from the verified JWT, never from the
 * request. Replace it with monitor's own use cases.
 */
@Injectable()
export class PingService {
  constructor(private readonly pings: PingRepository) {}

  async ping(caller: string, user: UserContext): Promise<MonitorPingResponse> {
    const pings = await this.pings.record(caller, user.id);
    return { service: 'monitor', caller, user_id: user.id, role: user.role, pings };
  }
}
