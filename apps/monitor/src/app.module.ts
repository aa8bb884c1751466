import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import type { Kysely } from '@citadel/database';
import { PingsController } from './pings.controller.js';
import type { MonitorDatabase } from './pings/ping.migrations.js';
import { PingRepository } from './pings/ping.repository.js';
import { PingService } from './pings/ping.service.js';

@Module({})
export class MonitorModule {
  static forRoot(deps: { db: Kysely<MonitorDatabase>; audit: AuditLog }): DynamicModule {
    return {
      module: MonitorModule,
      controllers: [PingsController],
      providers: [
        PingService,
        { provide: PingRepository, useValue: new PingRepository(deps.db) },
        { provide: AuditLog, useValue: deps.audit },
      ],
    };
  }
}
