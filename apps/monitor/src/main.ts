import 'reflect-metadata';
import { serviceMain } from '@citadel/service-kit';
import { MonitorModule } from './app.module.js';
import { MONITOR_MIGRATIONS, type MonitorDatabase } from './monitor.migrations.js';

// Vault (its own AppRole), its mTLS identity, its own database, the audit trail, a JWT
// verifier on auth's JWKS, then mTLS + the east-west policy + the JWT guard on every method.
// serviceMain starts no outbox forwarder here: the monitor is where the others deliver.
void serviceMain<MonitorDatabase>({
  service: 'monitor',
  migrations: MONITOR_MIGRATIONS,
  module: ({ db, audit, logger }) => MonitorModule.forRoot({ db, audit, log: logger }),
});
