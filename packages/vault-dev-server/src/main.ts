import path from 'node:path';
import { z } from 'zod';
import {
  citadelHome,
  exitWithLauncher,
  failStart,
  loadEnv,
  loopbackHost,
  port,
  reportReady,
} from '@citadel/config';
import { jsonLineLog } from './log.js';
import { ensureRootToken } from './root-token.js';
import { startVaultDevServer } from './server.js';

const envSchema = z.object({
  CITADEL_HOME: z
    .string()
    .optional()
    .transform((value) => citadelHome({ CITADEL_HOME: value })),
  HOST: loopbackHost,
  VAULT_PORT: port(8200),
});

/** `node dist/main.js`: the local-mode Vault, with its state under `$CITADEL_HOME/vault`. */
async function main() {
  const env = loadEnv(envSchema);
  const dir = path.join(env.CITADEL_HOME, 'vault');
  const rootTokenFile = path.join(dir, 'root-token');
  const log = jsonLineLog();
  const server = await startVaultDevServer({
    host: env.HOST,
    port: env.VAULT_PORT,
    stateFile: path.join(dir, 'dev-server-state.json'),
    rootToken: ensureRootToken(rootTokenFile),
    log,
  });
  log({
    level: 'info',
    event: 'service.started',
    msg: `vault dev server listening on ${server.url} (root token in ${rootTokenFile})`,
    port: server.port,
    pid: process.pid,
  });
  reportReady({ service: 'vault', port: server.port });
  exitWithLauncher(() => server.close());
}

main().catch((error: unknown) => failStart('vault', error));
