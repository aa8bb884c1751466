import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRPC_SERVICES, serviceEnvName, type GrpcServiceName } from '@citadel/config';
import { chainHash, fromAuditRow } from '@citadel/audit';
import type {
  AuditHash,
  AuditHashes,
  AuditRecord,
  ChainHead,
  ListAuditHashesRequest,
} from '@citadel/contracts';
import { ServiceClient } from '@citadel/transport';
import { e2eState } from './state.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The services that deliver their audit records to the monitor: every gRPC service but it. */
export const DELIVERING_SERVICES: readonly GrpcServiceName[] = GRPC_SERVICES.filter(
  (service) => service !== 'monitor',
);

/**
 * The hash a record chains to (chainHash), from the wire's or the table's snake_case
 * fields: what an attacker recomputes after rewriting one.
 */
export function hashOf(record: Omit<AuditRecord, 'hash'>): string {
  // chainHash reads every field but the record's own hash.
  return chainHash(fromAuditRow({ ...record, hash: '' }));
}

/**
 * Consecutive records, oldest first, re-linked from the first one's `prev_hash` with every
 * hash recomputed: what whoever rewrote the first one writes back so that the chain in the
 * database verifies again.
 */
export function rechained<R extends AuditRecord>(records: readonly R[]): R[] {
  const relinked: R[] = [];
  for (const record of records) {
    const prev_hash = relinked.at(-1)?.hash ?? record.prev_hash;
    const linked = { ...record, prev_hash };
    relinked.push({ ...linked, hash: hashOf(linked) });
  }
  return relinked;
}

/** Runs `npm run audit:verify`'s program against the system the support helpers point at. */
export function auditVerify(): Promise<{ code: number; stdout: string }> {
  const state = e2eState();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'packages/launcher/dist/audit-verify.js')],
      {
        env: {
          PATH: process.env.PATH,
          CITADEL_HOME: state.home,
          // The auditor's certificate is issued by Vault's PKI engine with the admin token.
          VAULT_ADDR: state.vaultAddr,
          // Every gRPC service of the registry, as the launcher names their ports.
          ...Object.fromEntries(
            GRPC_SERVICES.map((service) => [
              `${serviceEnvName(service)}_PORT`,
              String(state.ports[service]),
            ]),
          ),
        },
      },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

/**
 * Calls `target` as the operators' `auditor` (the identity audit:verify holds, issued by
 * the mesh CA as audit:verify has it issued), and closes the channel after `work`.
 */
async function asAuditor<S extends GrpcServiceName, T>(
  target: S,
  work: (client: ServiceClient<S>) => Promise<T>,
): Promise<T> {
  const { mesh, ports } = e2eState();
  const client = new ServiceClient(target, `127.0.0.1:${ports[target]}`, {
    service: 'auditor',
    ca: fs.readFileSync(mesh.ca),
    cert: fs.readFileSync(mesh.identities.auditor.cert),
    key: fs.readFileSync(mesh.identities.auditor.key),
  });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

/**
 * Every hash of a chain, page after page (the contract answers at most 1000 per call):
 * `list` is a service's ListAuditHashes or the monitor's ListChainHashes.
 */
async function allHashes(
  list: (request: ListAuditHashesRequest) => Promise<AuditHashes>,
  service: GrpcServiceName,
): Promise<AuditHash[]> {
  const hashes: AuditHash[] = [];
  for (;;) {
    const request: ListAuditHashesRequest = {
      service,
      after_seq: hashes.at(-1)?.seq ?? 0,
      limit: 1000,
    };
    const page = (await list(request)).hashes;
    hashes.push(...page);
    if (page.length < 1000) return hashes;
  }
}

/** A service's own audit chain, as its database holds it: seq and hash of every record. */
export function serviceChain(service: GrpcServiceName): Promise<AuditHash[]> {
  return asAuditor(service, (client) =>
    allHashes((request) => client.rpc.listAuditHashes(request), service),
  );
}

/** The copy of a service's chain the monitor holds. */
export function monitorCopy(service: GrpcServiceName): Promise<AuditHash[]> {
  return asAuditor('monitor', (client) =>
    allHashes((request) => client.rpc.listChainHashes(request), service),
  );
}

/** The head the monitor holds for each chain it has received records of. */
export async function monitorHeads(): Promise<Map<string, ChainHead>> {
  const { heads } = await asAuditor('monitor', (client) => client.rpc.listChainHeads({}));
  return new Map(heads.map((head) => [head.service, head]));
}

/**
 * Polls `probe` (every 250 ms) until it answers something, and answers that; throws
 * naming `what` when `timeoutMs` passes first.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Waits until the monitor's head of every chain in `services` is the service's own head
 * (same seq, same hash): everything recorded so far has been delivered. The error names
 * each chain still behind when `timeoutMs` passes.
 */
export async function untilDelivered(
  services: readonly GrpcServiceName[] = DELIVERING_SERVICES,
  timeoutMs = 60_000,
): Promise<void> {
  let behind: string[] = [];
  const delivered = async () => {
    const heads = await monitorHeads().catch(() => new Map<string, ChainHead>());
    behind = [];
    for (const service of services) {
      const own = await serviceChain(service).then(
        (chain) => chain.at(-1),
        (error: Error) => error,
      );
      const held = heads.get(service);
      if (own instanceof Error) behind.push(`${service}: not answering (${own.message})`);
      else if (own && (own.seq !== held?.seq || own.hash !== held.hash))
        behind.push(`${service}: own head ${own.seq}, monitor's ${held?.seq ?? 'none'}`);
    }
    return behind.length === 0 ? true : undefined;
  };
  await until('every record delivered', delivered, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}: ${behind.join('; ')}`);
  });
}
