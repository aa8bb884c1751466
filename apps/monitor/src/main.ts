import 'reflect-metadata';
import { serviceMain } from '@citadel/auth';
import { MonitorModule } from './app.module.js';
import { MONITOR_MIGRATIONS, type MonitorDatabase } from './pings/ping.migrations.js';

// Vault (its own AppRole), its mTLS identity, its own database, the audit trail, a JWT
// verifier on auth's JWKS, then mTLS + the east-west policy + the JWT guard on every method.
serviceMain<MonitorDatabase>({
  service: 'monitor',
  migrations: MONITOR_MIGRATIONS,
  module: ({ db, audit }) => MonitorModule.forRoot({ db, audit }),
});
