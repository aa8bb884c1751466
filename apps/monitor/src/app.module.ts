import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import type { Kysely } from '@citadel/database';
import { AlertRepository } from './alerts/alert.repository.js';
import { AlertService } from './alerts/alert.service.js';
import { AlertsController } from './alerts/alerts.controller.js';
import { ChainCopyService } from './chains/chain-copy.service.js';
import { ChainRepository } from './chains/chain.repository.js';
import { ChainsController } from './chains/chains.controller.js';
import { DeliveryService } from './chains/delivery.service.js';
import type { MonitorDatabase } from './monitor.migrations.js';
import { CLOCK, MONITOR_DB, MONITOR_LOG, type MonitorLog } from './monitor.tokens.js';
import { ANOMALY_RULES } from './rules/anomaly.rules.js';
import { RulesEngine } from './rules/rules-engine.js';

@Module({})
export class MonitorModule {
  static forRoot(deps: {
    db: Kysely<MonitorDatabase>;
    audit: AuditLog;
    log: MonitorLog;
  }): DynamicModule {
    return {
      module: MonitorModule,
      controllers: [ChainsController, AlertsController],
      providers: [
        DeliveryService,
        ChainCopyService,
        AlertService,
        { provide: MONITOR_DB, useValue: deps.db },
        { provide: ChainRepository, useValue: new ChainRepository(deps.db) },
        { provide: AlertRepository, useValue: new AlertRepository(deps.db) },
        { provide: RulesEngine, useValue: new RulesEngine(ANOMALY_RULES) },
        { provide: MONITOR_LOG, useValue: deps.log },
        { provide: CLOCK, useValue: () => new Date() },
        { provide: AuditLog, useValue: deps.audit },
      ],
    };
  }
}
