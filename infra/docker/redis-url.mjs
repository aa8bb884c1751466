// Loaded first in the gateway's containers (`node --import`, docker-compose.yml), before
// the gateway reads its settings: sets REDIS_URL from the password file secrets-init made
// (REDIS_PASSWORD_FILE), as PostgreSQL's image reads POSTGRES_PASSWORD_FILE. The password
// is then in no compose file, image layer or `docker inspect` output: only in this
// process's memory. The gateway reads REDIS_URL alone (apps/gateway/src/gateway-env.ts).
import fs from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const file = process.env.REDIS_PASSWORD_FILE;
if (file) {
  if (process.env.REDIS_URL) {
    throw new Error('set REDIS_URL or REDIS_PASSWORD_FILE, not both');
  }
  // TLS (rediss:), the server's certificate checked against the Citadel CA
  // (NODE_EXTRA_CA_CERTS) and for the host name.
  const url = new URL(process.env.REDIS_ADDRESS || 'rediss://redis:6379');
  if (url.protocol !== 'rediss:') throw new Error(`REDIS_ADDRESS must be rediss://: ${url}`);
  url.password = fs.readFileSync(file, 'utf8').trim();
  process.env.REDIS_URL = url.toString();
}
