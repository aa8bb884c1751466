import type vault from 'node-vault';
import { spiffeId } from '@citadel/config';
import { PKI_MOUNT, serviceDnsName } from '@citadel/secrets';

type Client = ReturnType<typeof vault>;

/**
 * The mesh's certificate authority is Vault's PKI engine: a root generated inside Vault
 * (its key never leaves it), and one role per workload that issues that workload its own
 * SPIFFE ID and nothing else. Services ask for a new certificate at two thirds of the last
 * one's life (WorkloadIdentity in @citadel/transport), so certificates live hours, not months.
 */
export interface WorkloadPkiSettings {
  /** Vault duration: what a service's certificate lives unless it asks for less. */
  certificateTtl: string;
  /** Vault duration: the most any certificate of a role may live. */
  certificateMaxTtl: string;
}

/**
 * 4h: a stolen certificate (and key) is worth hours; with renewal at two thirds, a service
 * talks to Vault every 2h40m and rides out a Vault outage of over an hour. `CITADEL_CERT_TTL`
 * shortens it (the rotation e2e spec runs with 60 s).
 */
export const WORKLOAD_PKI_DEFAULTS: Readonly<WorkloadPkiSettings> = {
  certificateTtl: '4h',
  certificateMaxTtl: '24h',
};

/** The root's lifetime; the mount's max_lease_ttl is raised to allow it. */
const ROOT_TTL = '87600h';
const ROOT_COMMON_NAME = 'Citadel Mesh Root CA';

/**
 * Identities that are no workload but call services over mTLS: operators' one-shot
 * commands (`npm run audit:verify` as `auditor`). Each has a role; no service policy grants
 * it, so only an operator's (admin) token can issue one.
 */
export const OPERATOR_IDENTITIES = ['auditor'] as const;

/** The role of one workload: its SPIFFE ID, its `<name>.citadel.local` DNS name, nothing else. */
export function workloadRole(name: string, settings: WorkloadPkiSettings) {
  return {
    allowed_uri_sans: [spiffeId(name)],
    allowed_domains: [serviceDnsName(name)],
    allow_bare_domains: true,
    allow_subdomains: false,
    allow_localhost: false,
    allow_ip_sans: false,
    allow_any_name: false,
    enforce_hostnames: true,
    require_cn: true,
    key_type: 'ec',
    key_bits: 256,
    server_flag: true,
    client_flag: true,
    // Certificates that live hours are not worth a storage entry each (Vault's advice for
    // short-lived certificates); they expire rather than being revoked.
    no_store: true,
    ttl: settings.certificateTtl,
    max_ttl: settings.certificateMaxTtl,
  };
}

/**
 * Mounts `pki/` (once), generates its root inside Vault (once: an existing root is kept, so
 * every certificate already out stays valid) and writes a role per workload. Returns whether
 * the root was generated now.
 */
export async function ensureWorkloadPki(
  client: Client,
  workloads: readonly string[],
  settings: WorkloadPkiSettings,
): Promise<boolean> {
  type Mounts = Record<string, { type?: string }>;
  const mounts = (await client.read('sys/mounts')) as Mounts & { data?: Mounts };
  const existing = mounts.data?.[`${PKI_MOUNT}/`] ?? mounts[`${PKI_MOUNT}/`];
  if (!existing) {
    await client.write(`sys/mounts/${PKI_MOUNT}`, {
      type: 'pki',
      description: "Citadel's mesh CA: each service's short-lived mTLS certificate",
      config: { max_lease_ttl: ROOT_TTL },
    });
  } else if (existing.type !== 'pki') {
    throw new Error(`${PKI_MOUNT}/ is mounted but is not a PKI secrets engine`);
  }
  const generated = !(await hasIssuer(client));
  if (generated) {
    await client.write(`${PKI_MOUNT}/root/generate/internal`, {
      common_name: ROOT_COMMON_NAME,
      key_type: 'ec',
      key_bits: 256,
      ttl: ROOT_TTL,
    });
  }
  for (const name of [...workloads, ...OPERATOR_IDENTITIES]) {
    await client.write(`${PKI_MOUNT}/roles/${name}`, workloadRole(name, settings));
  }
  return generated;
}

/** Vault answers a LIST with no keys with 404: no issuer yet. */
async function hasIssuer(client: Client): Promise<boolean> {
  try {
    const listed = (await client.list(`${PKI_MOUNT}/issuers`)) as { data?: { keys?: string[] } };
    return (listed.data?.keys?.length ?? 0) > 0;
  } catch (error) {
    if ((error as { response?: { statusCode?: number } }).response?.statusCode === 404) {
      return false;
    }
    throw error;
  }
}
