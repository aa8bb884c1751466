#!/usr/bin/env node
import fs from 'node:fs';
import { z } from 'zod';
import {
  citadelHome,
  grpcAddress,
  GRPC_SERVICES,
  loadEnv,
  pkiPaths,
  serviceEnvSchema,
} from '@citadel/config';
import type { AuditVerification } from '@citadel/contracts';
import { ensureDevPki } from '@citadel/pki';
import { enforceTls13, ServiceClient, type ServiceTls } from '@citadel/transport';

/**
 * `npm run audit:verify`: asks every gRPC service to re-compute its audit hash chain and
 * prints, per service, how many records verified or the first broken one. Exits 1 when
 * any chain is broken or a service cannot be asked.
 *
 * It calls as `auditor`, an operator identity of the east-west policy (`OPERATOR_POLICY`
 * in packages/transport/src/east-west.policy.ts): the VerifyAudit method of each registered
 * service's contract and nothing else, no workload's grants, no NetworkPolicy (it runs in no
 * pod). Locally its certificate is issued from the dev CA in $CITADEL_HOME when it first
 * runs; elsewhere give it with CITADEL_AUDITOR_CERT/KEY and CITADEL_CA_CERT.
 */
const envSchema = serviceEnvSchema.extend({
  CITADEL_AUDITOR_CERT: z.string().optional(),
  CITADEL_AUDITOR_KEY: z.string().optional(),
  CITADEL_CA_CERT: z.string().optional(),
});

async function auditorIdentity(env: z.infer<typeof envSchema>): Promise<ServiceTls> {
  if (env.CITADEL_AUDITOR_CERT && env.CITADEL_AUDITOR_KEY && env.CITADEL_CA_CERT) {
    return {
      service: 'auditor',
      ca: fs.readFileSync(env.CITADEL_CA_CERT),
      cert: fs.readFileSync(env.CITADEL_AUDITOR_CERT),
      key: fs.readFileSync(env.CITADEL_AUDITOR_KEY),
    };
  }
  const home = citadelHome();
  const paths = pkiPaths(home);
  if (!fs.existsSync(paths.caKey)) {
    throw new Error(
      `no dev CA in ${paths.dir}: run npm start first, or set CITADEL_AUDITOR_CERT, CITADEL_AUDITOR_KEY and CITADEL_CA_CERT`,
    );
  }
  await ensureDevPki(home, ['auditor']);
  return {
    service: 'auditor',
    ca: fs.readFileSync(paths.caCert),
    cert: fs.readFileSync(paths.cert('auditor')),
    key: fs.readFileSync(paths.key('auditor')),
  };
}

async function main(): Promise<number> {
  const env = loadEnv(envSchema);
  enforceTls13();
  const tls = await auditorIdentity(env);
  let failed = 0;
  for (const service of GRPC_SERVICES) {
    const client = new ServiceClient(service, grpcAddress(env, service), tls);
    try {
      const result = await client.call<AuditVerification>('VerifyAudit', {});
      if (result.ok) {
        process.stdout.write(`${service.padEnd(10)} ok      ${result.records} records\n`);
      } else {
        failed += 1;
        process.stdout.write(
          `${service.padEnd(10)} BROKEN  at record ${result.first_broken_seq}: ${result.reason} ` +
            `(${result.records} records verified before it)\n`,
        );
      }
    } catch (error) {
      failed += 1;
      const reason = error instanceof Error ? error.message : String(error);
      process.stdout.write(`${service.padEnd(10)} UNKNOWN could not ask: ${reason}\n`);
    } finally {
      client.close();
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `audit:verify failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  },
);
