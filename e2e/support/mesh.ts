import fs from 'node:fs';
import path from 'node:path';
import { spiffeId } from '@citadel/config';
import { writePrivateFile } from '@citadel/pki';
import type { E2eState } from './state.js';

/** Vault's API with the admin token; throws with Vault's errors on a refusal. */
export async function vaultCall<T = { data: Record<string, unknown> }>(
  addr: string,
  token: string,
  method: string,
  apiPath: string,
  body?: object,
): Promise<T> {
  const response = await fetch(`${addr}/v1/${apiPath}`, {
    method,
    headers: { 'X-Vault-Token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${apiPath}: HTTP ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The local Vault server's root token, as the launcher keeps it. */
export const rootTokenOf = (home: string): string =>
  fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();

/** What `pki/issue/<role>` answers. */
export interface VaultIssued {
  certificate: string;
  private_key: string;
  issuing_ca: string;
  serial_number: string;
  expiration: number;
}

/** A certificate from the mesh CA for `name` (its role), with the admin token. */
export async function issueMeshCertificate(
  addr: string,
  home: string,
  name: string,
  ttl = '1h',
): Promise<VaultIssued> {
  const { data } = await vaultCall<{ data: VaultIssued }>(
    addr,
    rootTokenOf(home),
    'POST',
    `pki/issue/${name}`,
    { common_name: `${name}.citadel.local`, uri_sans: spiffeId(name), ttl },
  );
  return data;
}

/**
 * One certificate (1 h) per name from the mesh CA (Vault's PKI engine), written to
 * `<home>/mesh/`, for specs that play a peer: every service, the operators' `auditor`,
 * and `analytics`, a valid mesh identity for a service the east-west policy does not know
 * (its role is made here with the admin token: no Citadel role issues it). The suite's
 * global setup does the same in plain JavaScript.
 */
export async function issueMeshIdentities(
  addr: string,
  home: string,
  names: readonly string[],
): Promise<E2eState['mesh']> {
  const dir = path.join(home, 'mesh');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await vaultCall(addr, rootTokenOf(home), 'POST', 'pki/roles/analytics', {
    allowed_uri_sans: [spiffeId('analytics')],
    allowed_domains: ['analytics.citadel.local'],
    allow_bare_domains: true,
    key_type: 'ec',
    no_store: true,
  });
  const identities: Record<string, { cert: string; key: string }> = {};
  let ca = '';
  for (const name of names) {
    const issued = await issueMeshCertificate(addr, home, name);
    ca = issued.issuing_ca;
    const cert = path.join(dir, `${name}.pem`);
    const key = path.join(dir, `${name}-key.pem`);
    writePrivateFile(cert, issued.certificate);
    writePrivateFile(key, issued.private_key);
    identities[name] = { cert, key };
  }
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca);
  return { ca: caFile, identities: identities as E2eState['mesh']['identities'] };
}
