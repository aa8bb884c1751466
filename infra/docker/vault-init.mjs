// `citadel-init vault`: the second one-shot step of docker-compose.yml, once the real Vault
// answers and PostgreSQL is healthy.
//   1. First run: initialises Vault (`sys/init`, one unseal key share: a development setup)
//      and keeps the unseal key and root token in this container's own volume, mode 0600.
//   2. Unseals Vault if it is sealed, and leaves the unseal key share (alone) in the
//      vault-unseal-key volume, for the vault-unseal loop that unseals it after a restart.
//   3. Runs the same idempotent bootstrap as `npm start` (infra/vault/bootstrap) with that
//      root token: KV v2, AppRole, the four policies and roles, the signing key, each
//      service's TLS identity, its own PostgreSQL login role (created here through the
//      superuser, credentials stored in Vault), the demo users, and each service's
//      role_id/secret_id written to that service's own volume.
// The root token never leaves this container: services only ever see their AppRole files.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { pkiPaths } from '@citadel/config';
import { appRoleDir } from '@citadel/secrets';
import { bootstrapVault, rotateSigningKeys } from '@citadel/vault-bootstrap';
import { layout } from './container-layout.mjs';
import { vaultApi as callVault } from './vault-api.mjs';
import { writeUnsealKey } from './vault-unseal.mjs';

const INIT_FILE = path.join(layout.adminDir, 'vault-init.json');
const DEMO_USERS_FILE = path.join(layout.adminDir, 'demo-users.json');
const DEMO_ACCOUNTS = [
  { email: 'alice@citadel.test', role: 'customer' },
  { email: 'bob@citadel.test', role: 'customer' },
  { email: 'sam@citadel.test', role: 'support_agent' },
  { email: 'ada@citadel.test', role: 'admin' },
];

function setting(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (docker-compose.yml sets it for vault-init)`);
  return value;
}

function writePrivate(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/** One call to the Vault at VAULT_ADDR (vault-api.mjs). */
function vaultApi(method, route, body) {
  return callVault(method, route, body, { addr: setting('VAULT_ADDR') });
}

async function until(what, probe, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(`${what}: gave up after ${timeoutMs / 1000} s (${last})`);
}

/** Initialises Vault once, unseals it, and returns the root token. */
async function initAndUnseal(log) {
  // sys/health answers 501 (not initialised) and 503 (sealed) too: any answer means it is up.
  await until('waiting for Vault', async () => (await vaultApi('GET', 'sys/health')).status > 0);

  const { body: init } = await vaultApi('GET', 'sys/init');
  if (!init.initialized) {
    const { status, body } = await vaultApi('PUT', 'sys/init', {
      secret_shares: 1,
      secret_threshold: 1,
    });
    if (status !== 200) throw new Error(`sys/init: HTTP ${status} ${JSON.stringify(body)}`);
    // Kept before anything else happens: without it, this Vault could never be unsealed.
    writePrivate(
      INIT_FILE,
      JSON.stringify({ unseal_keys_b64: body.keys_base64, root_token: body.root_token }, null, 2),
    );
    log('Vault initialised (one unseal key share; development setup)');
  } else if (!fs.existsSync(INIT_FILE)) {
    throw new Error(
      `Vault is initialised but ${INIT_FILE} is missing: its unseal key is lost. ` +
        'Start over with `docker compose down --volumes`.',
    );
  }
  const keys = JSON.parse(fs.readFileSync(INIT_FILE, 'utf8'));
  // On every run, so a deployment from before vault-unseal gets its key share too.
  writeUnsealKey(keys.unseal_keys_b64);

  const { body: seal } = await vaultApi('GET', 'sys/seal-status');
  if (seal.sealed) {
    for (const key of keys.unseal_keys_b64) {
      const { status, body } = await vaultApi('PUT', 'sys/unseal', { key });
      if (status !== 200) throw new Error(`sys/unseal: HTTP ${status} ${JSON.stringify(body)}`);
      if (!body.sealed) break;
    }
    log('Vault unsealed');
  }
  await until('waiting for Vault to become active', async () => {
    return (await vaultApi('GET', 'sys/health')).status === 200;
  });
  return keys.root_token;
}

/** The four demo accounts, random passwords made on the first run and kept after. */
function ensureDemoUsers() {
  if (!fs.existsSync(DEMO_USERS_FILE)) {
    const users = DEMO_ACCOUNTS.map((account) => ({
      ...account,
      password: randomBytes(18).toString('base64url'),
    }));
    writePrivate(DEMO_USERS_FILE, JSON.stringify(users, null, 2) + '\n');
  }
  return JSON.parse(fs.readFileSync(DEMO_USERS_FILE, 'utf8'));
}

/** The superuser URL the bootstrap uses to create one login role per service. */
function databaseAdminUrl() {
  const password = fs.readFileSync(setting('POSTGRES_PASSWORD_FILE'), 'utf8').trim();
  const url = new URL('postgres://placeholder');
  url.hostname = setting('POSTGRES_HOST');
  url.port = process.env.POSTGRES_PORT || '5432';
  url.username = setting('POSTGRES_USER');
  url.password = password;
  url.pathname = `/${setting('POSTGRES_DB')}`;
  // In the URL, not only in this process's environment: Vault's database engine connects
  // with it too, and must check PostgreSQL's certificate as the services do.
  if (process.env.PGSSLMODE) url.searchParams.set('sslmode', process.env.PGSSLMODE);
  return url.toString();
}

export async function initVault(log = (line) => process.stdout.write(`${line}\n`)) {
  const token = await initAndUnseal(log);
  const pki = pkiPaths(layout.home);
  const read = (file) => fs.readFileSync(file, 'utf8');
  await bootstrapVault({
    addr: setting('VAULT_ADDR'),
    token,
    credentialsDir: (service) => appRoleDir(layout.home, service),
    // The gateway's HTTPS certificate; services' mTLS identities come from Vault's PKI engine.
    edgeTls: { cert: read(pki.cert('gateway')), key: read(pki.key('gateway')) },
    ...(process.env.CITADEL_CERT_TTL
      ? { workloadPki: { certificateTtl: process.env.CITADEL_CERT_TTL } }
      : {}),
    databaseAdminUrl: databaseAdminUrl(),
    // How often Vault rotates each service's database password (default 24h).
    ...(process.env.CITADEL_DB_ROTATION_PERIOD
      ? { databaseRotationPeriod: process.env.CITADEL_DB_ROTATION_PERIOD }
      : {}),
    demoUsers: ensureDemoUsers(),
    // The file audit device, on the Vault server: stdout (docker compose logs vault).
    audit: { filePath: process.env.VAULT_AUDIT_FILE_PATH || 'stdout' },
    log,
  });
}

/** `docker compose run --rm vault-init rotate-keys`: a new JWT signing key, adopted live. */
export async function rotateKeys(log = (line) => process.stdout.write(`${line}\n`)) {
  const { root_token: token } = JSON.parse(fs.readFileSync(INIT_FILE, 'utf8'));
  const kid = await rotateSigningKeys(setting('VAULT_ADDR'), token);
  log(`New JWT signing key ${kid} stored in Vault; auth publishes it, then signs with it.`);
}

/** `... vault-init demo-users`: the demo accounts and their passwords, as JSON. */
export function printDemoUsers() {
  process.stdout.write(fs.readFileSync(DEMO_USERS_FILE, 'utf8'));
}
