#!/usr/bin/env node
// `citadel-vault-bootstrap [bootstrap|rotate-keys]`: configures the Vault at VAULT_ADDR
// with the admin token in VAULT_TOKEN (or, in local mode, the development server's root
// token file), or rotates the JWT signing key at runtime. VAULT_AUDIT_FILE_PATH: where the
// file audit device writes, on the Vault server (default `stdout`). CITADEL_CERT_TTL: how
// long the services' mTLS certificates live (default 4h). CITADEL_DB_ROTATION_PERIOD: how
// often Vault rotates each service's database password (default 24h).
import fs from 'node:fs';
import path from 'node:path';
import { citadelHome, pkiPaths } from '@citadel/config';
import { appRoleDir } from '@citadel/secrets';
import { bootstrapVault, rotateSigningKeys, type VaultService } from './bootstrap.js';

function adminToken(home: string): string {
  if (process.env.VAULT_TOKEN) return process.env.VAULT_TOKEN;
  const file = path.join(home, 'vault', 'root-token');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`no admin token: set VAULT_TOKEN, or start Citadel locally once (${file})`);
  }
}

async function main() {
  const command = process.argv[2] ?? 'bootstrap';
  const home = citadelHome();
  const addr = process.env.VAULT_ADDR ?? 'http://127.0.0.1:8200';
  const token = adminToken(home);
  const caCert = process.env.VAULT_CACERT
    ? fs.readFileSync(process.env.VAULT_CACERT, 'utf8')
    : undefined;
  if (command === 'rotate-keys') {
    const kid = await rotateSigningKeys(addr, token, caCert);
    process.stdout.write(
      `New JWT signing key ${kid} stored in Vault; auth publishes it, then signs with it.\n`,
    );
    return;
  }
  if (command !== 'bootstrap')
    throw new Error(`unknown command "${command}" (bootstrap | rotate-keys)`);
  const pki = pkiPaths(home);
  const read = (file: string) => fs.readFileSync(file, 'utf8');
  await bootstrapVault({
    addr,
    token,
    caCert,
    // In Kubernetes every pod logs in with its own token: no AppRole credentials to deliver.
    ...(process.env.VAULT_AUTH_METHOD === 'kubernetes'
      ? {}
      : { credentialsDir: (service: VaultService) => appRoleDir(home, service) }),
    edgeTls: { cert: read(pki.cert('gateway')), key: read(pki.key('gateway')) },
    ...(process.env.CITADEL_CERT_TTL
      ? { workloadPki: { certificateTtl: process.env.CITADEL_CERT_TTL } }
      : {}),
    ...(process.env.CITADEL_DB_ADMIN_URL
      ? { databaseAdminUrl: process.env.CITADEL_DB_ADMIN_URL }
      : {}),
    ...(process.env.CITADEL_DB_ROTATION_PERIOD
      ? { databaseRotationPeriod: process.env.CITADEL_DB_ROTATION_PERIOD }
      : {}),
    ...(process.env.VAULT_AUDIT_FILE_PATH
      ? { audit: { filePath: process.env.VAULT_AUDIT_FILE_PATH } }
      : {}),
    log: (line) => process.stdout.write(line + '\n'),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `vault bootstrap failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
