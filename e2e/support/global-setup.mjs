import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { bootSystem, freePort, freePorts, RATE_LIMITS_OUT_OF_REACH } from '@citadel/launcher';
import {
  createCertificateAuthority,
  ensureDevPki,
  issueCertificate,
  writePrivateFile,
} from '@citadel/pki';
import { pkiPaths, SERVICES, spiffeId } from '@citadel/config';

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

export default async function globalSetup() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-e2e-'));
  globalThis.citadelE2e = { home };
  fs.mkdirSync(home, { recursive: true });
  writePrivateFile(path.join(home, 'demo-users.json'), JSON.stringify(e2eUsers()));
  await ensureDevPki(home, SERVICES);

  const attackerDir = path.join(home, 'attacker');
  fs.mkdirSync(attackerDir, { mode: 0o700 });
  const pki = pkiPaths(home);
  const citadelCa = {
    certPem: fs.readFileSync(pki.caCert, 'utf8'),
    keyPem: fs.readFileSync(pki.caKey, 'utf8'),
  };
  const analytics = await issueCertificate(citadelCa, {
    commonName: 'analytics',
    uri: spiffeId('analytics'),
  });
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

  const state = {
    home,
    gatewayUrl: system.gatewayUrl,
    ports: system.ports,
    vaultAddr: system.vault.addr,
    caFile: system.caFile,
    users: system.demoUsers,
    attacker: {
      analytics: {
        cert: file('analytics.pem', analytics.certPem),
        key: file('analytics-key.pem', analytics.keyPem),
      },
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
