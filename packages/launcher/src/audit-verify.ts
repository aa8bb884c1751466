#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  citadelHome,
  grpcAddress,
  GRPC_SERVICES,
  loadEnv,
  serviceEnvSchema,
  spiffeId,
  type GrpcServiceName,
} from '@citadel/config';
import type { AuditHash, AuditHashes, ListAuditHashesRequest } from '@citadel/contracts';
import { enforceTls13, ServiceClient, type ServiceTls } from '@citadel/transport';

/**
 * `npm run audit:verify`: for every gRPC service, whether its audit trail is the one the
 * security monitor received. A service's own database cannot vouch for itself: whoever
 * holds it can rewrite a record and re-compute every hash after it, and the chain verifies.
 * So, per service,
 *
 * 1. its VerifyAudit: the chain in its database is self-consistent (no record edited,
 *    removed or re-linked without the hashes after it being re-computed);
 * 2. its ListAuditHashes against the monitor's ListChainHashes for it, page by page: the
 *    first record whose hash differs from the copy the monitor holds is named, and a service
 *    whose records stop before the monitor's head had its tail cut. Records the monitor
 *    does not hold yet are fine: delivery runs behind the acts.
 *
 * The monitor's own chain is checked by its VerifyAudit. One line per service:
 *
 *     order      ok      12 records, 12 held by the monitor
 *     order      BROKEN  at record 4: its hash differs from the copy the monitor holds (record rewritten)
 *
 * Exits 0 when every chain is intact, 1 when any is broken, 2 when none is broken but
 * one could not be asked (or the command could not start).
 *
 * It calls as `auditor`, an operator identity of the east-west policy (`OPERATOR_POLICY`
 * in packages/transport/src/east-west.policy.ts): VerifyAudit and ListAuditHashes of each
 * registered service's contract and the monitor's ListChainHeads and ListChainHashes,
 * nothing else, no workload's grants, no NetworkPolicy (it runs in no pod). Locally its
 * certificate is issued by the mesh CA (Vault's PKI engine, role `auditor`) with the
 * admin token; elsewhere give it with CITADEL_AUDITOR_CERT/KEY and CITADEL_CA_CERT.
 */
const envSchema = serviceEnvSchema.extend({
  CITADEL_AUDITOR_CERT: z.string().optional(),
  CITADEL_AUDITOR_KEY: z.string().optional(),
  CITADEL_CA_CERT: z.string().optional(),
});

/** The most hashes either side answers per call (the contract's own bound). */
const PAGE_SIZE = 1000;

const MONITOR = 'monitor' satisfies GrpcServiceName;

/** One service's line of the report, and what it says of the chain. */
interface Verdict {
  kind: 'ok' | 'broken' | 'unknown';
  line: string;
}

async function auditorIdentity(env: z.infer<typeof envSchema>): Promise<ServiceTls> {
  if (env.CITADEL_AUDITOR_CERT && env.CITADEL_AUDITOR_KEY && env.CITADEL_CA_CERT) {
    return {
      service: 'auditor',
      ca: fs.readFileSync(env.CITADEL_CA_CERT),
      cert: fs.readFileSync(env.CITADEL_AUDITOR_CERT),
      key: fs.readFileSync(env.CITADEL_AUDITOR_KEY),
    };
  }
  // Locally, an operator holds Vault's admin token: the auditor's certificate is issued by
  // the mesh CA (Vault's PKI engine, role `auditor`), for ten minutes.
  const tokenFile = path.join(citadelHome(), 'vault', 'root-token');
  const token =
    process.env.VAULT_TOKEN ??
    (fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) {
    throw new Error(
      `no Vault admin token (VAULT_TOKEN or ${tokenFile}): run npm start first, or set CITADEL_AUDITOR_CERT, CITADEL_AUDITOR_KEY and CITADEL_CA_CERT`,
    );
  }
  const response = await fetch(`${env.VAULT_ADDR}/v1/pki/issue/auditor`, {
    method: 'POST',
    headers: { 'X-Vault-Token': token },
    body: JSON.stringify({
      common_name: 'auditor.citadel.local',
      uri_sans: spiffeId('auditor'),
      ttl: '10m',
    }),
  });
  if (!response.ok) {
    throw new Error(
      `Vault refused the auditor's certificate (pki/issue/auditor): HTTP ${response.status} ${await response.text()}`,
    );
  }
  const { data } = (await response.json()) as {
    data: { certificate: string; private_key: string; issuing_ca: string };
  };
  return {
    service: 'auditor',
    ca: Buffer.from(data.issuing_ca),
    cert: Buffer.from(data.certificate),
    key: Buffer.from(data.private_key),
  };
}

/** One page of a chain's hashes: the `limit` records after `after`, in seq order. */
type HashPage = (after: number) => Promise<AuditHash[]>;

/** `list`: a service's ListAuditHashes, or the monitor's ListChainHashes of that service. */
function hashPage(
  list: (request: ListAuditHashesRequest) => Promise<AuditHashes>,
  service: string,
): HashPage {
  return async (after) => (await list({ service, after_seq: after, limit: PAGE_SIZE })).hashes;
}

/**
 * Walks the service's chain and the monitor's copy side by side, a page of each at a time,
 * and answers how many records each holds or the first record where they part.
 *
 * The monitor's page is read before the service's page of the same range: records reach the
 * monitor only after the service wrote them, so a record delivered between the two reads
 * is already in the service's page, and a live system is never mistaken for a cut tail.
 * Both chains run 1..n without gaps here (the service's VerifyAudit passed, the monitor
 * refuses gaps), so a page of one lines up with the same page of the other.
 */
async function compareWithMonitor(
  servicePage: HashPage,
  monitorPage: HashPage,
): Promise<{ records: number; held: number } | { brokenAt: number; reason: string }> {
  let records = 0;
  let held = 0;
  let after = 0;
  for (;;) {
    const monitor = await monitorPage(after);
    const own = await servicePage(after);
    for (const [index, copy] of monitor.entries()) {
      const record = own[index];
      if (!record) {
        return {
          brokenAt: copy.seq,
          reason: `removed: the service's chain ends at record ${copy.seq - 1}, the monitor holds records after it (tail cut)`,
        };
      }
      if (record.seq !== copy.seq || record.hash !== copy.hash) {
        return {
          brokenAt: copy.seq,
          reason: 'its hash differs from the copy the monitor holds (record rewritten)',
        };
      }
    }
    records += own.length;
    held += monitor.length;
    if (own.length < PAGE_SIZE) return { records, held };
    after = own[own.length - 1]!.seq;
  }
}

function line(service: string, status: string, text: string): string {
  return `${service.padEnd(10)} ${status.padEnd(7)} ${text}`;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A service's chain: self-consistent, then equal to the monitor's copy as far as it goes. */
async function verifyService(
  service: GrpcServiceName,
  client: ServiceClient,
  monitor: ServiceClient<'monitor'>,
): Promise<Verdict> {
  const own = await client.rpc.verifyAudit({});
  if (!own.ok) {
    return {
      kind: 'broken',
      line: line(
        service,
        'BROKEN',
        `at record ${own.first_broken_seq}: ${own.reason} (${own.records} records verified before it)`,
      ),
    };
  }
  const compared = await compareWithMonitor(
    hashPage((request) => client.rpc.listAuditHashes(request), service),
    hashPage((request) => monitor.rpc.listChainHashes(request), service),
  );
  if ('brokenAt' in compared) {
    return {
      kind: 'broken',
      line: line(service, 'BROKEN', `at record ${compared.brokenAt}: ${compared.reason}`),
    };
  }
  const head = (await monitor.rpc.listChainHeads({})).heads.find(
    (candidate) => candidate.service === service,
  );
  if (head?.broken) {
    // The copies agree, but the monitor refused what came after its head: a delivery that
    // did not continue the chain, or a head the service reported that the chain cannot have.
    return {
      kind: 'broken',
      line: line(
        service,
        'BROKEN',
        `at record ${head.seq + 1}: the monitor refused the chain after record ${head.seq} and holds it as broken`,
      ),
    };
  }
  return {
    kind: 'ok',
    line: line(service, 'ok', `${compared.records} records, ${compared.held} held by the monitor`),
  };
}

/** The monitor's own audit trail: only its self-consistency, nothing holds a copy of it. */
async function verifyMonitor(monitor: ServiceClient<'monitor'>): Promise<Verdict> {
  const own = await monitor.rpc.verifyAudit({});
  return own.ok
    ? { kind: 'ok', line: line(MONITOR, 'ok', `${own.records} records`) }
    : {
        kind: 'broken',
        line: line(
          MONITOR,
          'BROKEN',
          `at record ${own.first_broken_seq}: ${own.reason} (${own.records} records verified before it)`,
        ),
      };
}

async function main(): Promise<number> {
  const env = loadEnv(envSchema);
  enforceTls13();
  const tls = await auditorIdentity(env);
  const monitor = new ServiceClient(MONITOR, grpcAddress(env, MONITOR), tls);
  const verdicts: Verdict['kind'][] = [];
  try {
    for (const service of GRPC_SERVICES) {
      const client =
        service === MONITOR ? monitor : new ServiceClient(service, grpcAddress(env, service), tls);
      let verdict: Verdict;
      try {
        verdict =
          service === MONITOR
            ? await verifyMonitor(monitor)
            : await verifyService(service, client, monitor);
      } catch (error) {
        verdict = {
          kind: 'unknown',
          line: line(service, 'UNKNOWN', `could not ask: ${reasonOf(error)}`),
        };
      } finally {
        if (client !== monitor) client.close();
      }
      verdicts.push(verdict.kind);
      process.stdout.write(`${verdict.line}\n`);
    }
  } finally {
    monitor.close();
  }
  if (verdicts.includes('broken')) return 1;
  return verdicts.includes('unknown') ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`audit:verify failed: ${reasonOf(error)}\n`);
    process.exit(2);
  },
);
