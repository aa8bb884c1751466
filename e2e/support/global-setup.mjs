import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { bootSystem, freePort, freePorts, RATE_LIMITS_OUT_OF_REACH } from '@citadel/launcher';
import { createCertificateAuthority, issueCertificate, writePrivateFile } from '@citadel/pki';
import { SERVICES, spiffeId } from '@citadel/config';

// Plain ESM JavaScript: jest loads global setup outside its module transform.
// The state written here is typed by support/state.ts (E2eState); STATE_ENV matches it.
const STATE_ENV = 'CITADEL_E2E_STATE';

/** Demo users plus throwaway accounts that tests may delete or log out for good. */
function e2eUsers() {
  const password = () => randomBytes(18).toString('base64url');
  return [
    { email: 'alice@citadel.test', password: password(), role: 'customer' },
    { email: 'bob@citadel.test', password: password(), role: 'customer' },
    { email: 'sam@citadel.test', password: password(), role: 'support_agent' },
    { email: 'ada@citadel.test', password: password(), role: 'admin' },
    { email: 'dave@citadel.test', password: password(), role: 'customer' },
    { email: 'erin@citadel.test', password: password(), role: 'customer' },
    // Deleted by audit-trail.e2e-spec.ts (customer delete is an audited act).
    { email: 'gina@citadel.test', password: password(), role: 'customer' },
    // Locked out on purpose by brute-force.e2e-spec.ts; nobody else uses it.
    { email: 'frank@citadel.test', password: password(), role: 'customer' },
    // Attacked by login-concurrency.e2e-spec.ts while she logs in with her device cookie.
    { email: 'ivy@citadel.test', password: password(), role: 'customer' },
  ];
}

/** Vault's API with the admin token; throws with Vault's errors on a refusal. */
async function vaultCall(addr, token, method, apiPath, body) {
  const response = await globalThis.fetch(`${addr}/v1/${apiPath}`, {
    method,
    headers: { 'X-Vault-Token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${apiPath}: HTTP ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * One certificate (1 h) per name from Vault's PKI engine, written to `<home>/mesh/`: what
 * each workload holds in memory, for specs that play a peer. `analytics` gets a role first.
 */
async function issueMeshIdentities(addr, token, home, names) {
  const dir = path.join(home, 'mesh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await vaultCall(addr, token, 'POST', 'pki/roles/analytics', {
    allowed_uri_sans: [spiffeId('analytics')],
    allowed_domains: ['analytics.citadel.local'],
    allow_bare_domains: true,
    key_type: 'ec',
    no_store: true,
  });
  const identities = {};
  let ca = '';
  for (const name of names) {
    const { data } = await vaultCall(addr, token, 'POST', `pki/issue/${name}`, {
      common_name: `${name}.citadel.local`,
      uri_sans: spiffeId(name),
      ttl: '1h',
    });
    ca = data.issuing_ca;
    const cert = path.join(dir, `${name}.pem`);
    const key = path.join(dir, `${name}-key.pem`);
    writePrivateFile(cert, data.certificate);
    writePrivateFile(key, data.private_key);
    identities[name] = { cert, key };
  }
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca);
  return { ca: caFile, identities };
}

export default async function globalSetup() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-e2e-'));
  globalThis.citadelE2e = { home };
  fs.mkdirSync(home, { recursive: true });
  writePrivateFile(path.join(home, 'demo-users.json'), JSON.stringify(e2eUsers()));

  const attackerDir = path.join(home, 'attacker');
  fs.mkdirSync(attackerDir, { mode: 0o700 });
  const foreignCa = await createCertificateAuthority('Not Citadel');
  const foreign = await issueCertificate(foreignCa, {
    commonName: 'gateway',
    uri: spiffeId('gateway'),
  });
  const file = (name, content) => {
    const target = path.join(attackerDir, name);
    writePrivateFile(target, content);
    return target;
  };

  // Every service of the registry (packages/config), on ports the OS reports free.
  const ports = await freePorts(SERVICES);
  const vaultPort = await freePort();
  const system = await bootSystem({
    home,
    ports,
    vaultPort,
    env: {
      LOG_LEVEL: 'info',
      // Every spec shares this system and most call from 127.0.0.1: limits here are set
      // out of reach; rate-limits.e2e-spec.ts proves them on a system of its own.
      ...RATE_LIMITS_OUT_OF_REACH,
    },
  });
  globalThis.citadelE2e.system = system;

  // Mesh certificates as the mesh CA (Vault's PKI engine) issues them, with the admin token:
  // each service's, the operators' auditor, and `analytics`, a valid mesh identity for a
  // service the east-west policy does not know (an extra role, made here by the attacker's
  // stand-in with the admin token, since no Citadel role issues it).
  const rootToken = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
  const mesh = await issueMeshIdentities(system.vault.addr, rootToken, home, [
    ...SERVICES,
    'auditor',
    'analytics',
  ]);

  const state = {
    home,
    gatewayUrl: system.gatewayUrl,
    ports: system.ports,
    vaultAddr: system.vault.addr,
    caFile: system.caFile,
    users: system.demoUsers,
    mesh,
    attacker: {
      analytics: mesh.identities.analytics,
      foreignGateway: {
        cert: file('foreign-gateway.pem', foreign.certPem),
        key: file('foreign-gateway-key.pem', foreign.keyPem),
        ca: file('foreign-ca.pem', foreignCa.certPem),
      },
    },
  };
  const stateFile = path.join(home, 'e2e-state.json');
  fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
  process.env[STATE_ENV] = stateFile;
}
