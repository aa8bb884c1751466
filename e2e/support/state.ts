import fs from 'node:fs';
import type { ServiceName } from '@citadel/config';
import type { DemoUser } from '@citadel/launcher';

/** What global setup hands the test files: where the booted system is and who is in it. */
export interface E2eState {
  home: string;
  gatewayUrl: string;
  /** Every service of the registry (packages/config). */
  ports: Record<ServiceName, number>;
  /** The Vault development server the suite's system uses. */
  vaultAddr: string;
  /** The gateway's HTTPS (edge) CA: what clients of the gateway trust. */
  caFile: string;
  users: DemoUser[];
  /**
   * The mesh CA (Vault's PKI engine) and certificates it issued (1 h) to every service, to
   * the operators' `auditor` and to `analytics`: {cert,key} paths.
   */
  mesh: {
    ca: string;
    identities: Record<ServiceName | 'auditor' | 'analytics', { cert: string; key: string }>;
  };
  /** Certificates an attacker might hold: {cert,key} paths. */
  attacker: {
    /** A valid mesh certificate for a service the policy does not know. */
    analytics: { cert: string; key: string };
    /** A certificate from another CA that claims to be the gateway. */
    foreignGateway: { cert: string; key: string; ca: string };
  };
}

export const STATE_ENV = 'CITADEL_E2E_STATE';

export function e2eState(): E2eState {
  const file = process.env[STATE_ENV];
  if (!file) throw new Error(`${STATE_ENV} is not set: run the e2e suite through jest (npm test)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as E2eState;
}
