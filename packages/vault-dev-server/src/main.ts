import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { citadelHome, loadEnv, loopbackHost, port } from '@citadel/config';
import { exitWithLauncher, failStart, reportReady } from '@citadel/lifecycle';
import { jsonLineLog } from './log.js';
import { ensureRootToken } from './root-token.js';
import { startVaultDevServer, type RunningVaultDevServer } from './server.js';
import type { TlsFiles } from './tls-front.js';

const envSchema = z
  .object({
    CITADEL_HOME: z
      .string()
      .optional()
      .transform((value) => citadelHome({ CITADEL_HOME: value })),
    HOST: loopbackHost,
    VAULT_PORT: port(8200),
    /** PEM certificate (chain) and key: set both to serve HTTPS only, as Vault's listener. */
    VAULT_DEV_TLS_CERT_FILE: z.string().min(1).optional(),
    VAULT_DEV_TLS_KEY_FILE: z.string().min(1).optional(),
    /** `true`: start as a fresh Vault that waits for `sys/init` (no root-token file). */
    VAULT_DEV_UNINITIALIZED: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
  })
  .refine((env) => !env.VAULT_DEV_TLS_CERT_FILE === !env.VAULT_DEV_TLS_KEY_FILE, {
    path: ['VAULT_DEV_TLS_CERT_FILE'],
    message: 'expected VAULT_DEV_TLS_CERT_FILE and VAULT_DEV_TLS_KEY_FILE together, or neither',
  });

type Env = z.infer<typeof envSchema>;

function tlsFiles(env: Env): TlsFiles | undefined {
  if (!env.VAULT_DEV_TLS_CERT_FILE || !env.VAULT_DEV_TLS_KEY_FILE) return undefined;
  return {
    cert: fs.readFileSync(env.VAULT_DEV_TLS_CERT_FILE),
    key: fs.readFileSync(env.VAULT_DEV_TLS_KEY_FILE),
  };
}

/**
 * `node dist/main.js`: the local-mode Vault, with its state under `$CITADEL_HOME/vault`. By
 * default it is initialised and unsealed, with its root token in `root-token`; with
 * `VAULT_DEV_UNINITIALIZED=true` it waits for `sys/init`, which alone hands out the root
 * token and unseal key.
 */
async function main() {
  const env = loadEnv(envSchema);
  const dir = path.join(env.CITADEL_HOME, 'vault');
  const listener = {
    host: env.HOST,
    port: env.VAULT_PORT,
    stateFile: path.join(dir, 'dev-server-state.json'),
    tls: tlsFiles(env),
    log: jsonLineLog(),
  };
  let server: RunningVaultDevServer;
  let where: string;
  if (env.VAULT_DEV_UNINITIALIZED) {
    server = await startVaultDevServer({ ...listener, uninitialized: true });
    where = 'root token and unseal key from sys/init';
  } else {
    const rootTokenFile = path.join(dir, 'root-token');
    server = await startVaultDevServer({ ...listener, rootToken: ensureRootToken(rootTokenFile) });
    where = `root token in ${rootTokenFile}`;
  }
  listener.log({
    level: 'info',
    event: 'service.started',
    msg: `vault dev server listening on ${server.url} (${where})`,
    port: server.port,
    pid: process.pid,
  });
  reportReady({ service: 'vault', port: server.port });
  exitWithLauncher(() => server.close());
}

main().catch((error: unknown) => failStart('vault', error));
