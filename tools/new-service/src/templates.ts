import type { MethodGrant } from '@citadel/transport';

/** Everything the templates need to know about the service being generated. */
export interface ServicePlan {
  /** `stock-level` */
  name: string;
  /** `StockLevel` */
  pascal: string;
  /** `STOCK_LEVEL` */
  constant: string;
  /** Its default gRPC port, allocated after the registry's last one. */
  port: number;
  /** Who may call it (east-west policy), with what; the grants every service gives included. */
  callers: Record<string, MethodGrant>;
  /** Whom it calls, with what: auth (GetJwks) always. */
  calls: Record<string, MethodGrant>;
  /** The permission its Ping requires: admins only until a role is granted it. */
  permission: string;
  /**
   * How the e2e spec gets a genuine user JWT it accepts: the caller's certificate to present,
   * and the audience the gateway may exchange a token for (this service, or a caller that
   * may call it on the user's behalf). Absent when no caller is reachable from the edge.
   */
  allowedPath?: { caller: string; audience: string };
}

const GENERATED = 'npm run new:service';

export function appPackageJson(plan: ServicePlan): string {
  return `${JSON.stringify(
    {
      name: `@citadel/${plan.name}-service`,
      version: '0.1.0',
      private: true,
      type: 'module',
      main: './dist/main.js',
      scripts: {
        build: 'tsc -p tsconfig.json',
        typecheck: 'tsc -p tsconfig.spec.json',
        lint: 'eslint src',
        test: 'rm -rf .jest && mkdir .jest && NODE_OPTIONS=--experimental-vm-modules jest --json --outputFile=.jest/results.json',
        start: 'node --import ./dist/instrumentation.js dist/main.js',
      },
      dependencies: {
        '@citadel/audit': '*',
        '@citadel/auth': '*',
        '@citadel/config': '*',
        '@citadel/contracts': '*',
        '@citadel/database': '*',
        '@citadel/observability': '*',
        '@citadel/service-kit': '*',
        '@citadel/transport': '*',
        '@nestjs/common': '^12.5.1',
        '@nestjs/core': '^12.5.1',
        '@nestjs/microservices': '^12.1.1',
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.2',
      },
      devDependencies: {
        '@citadel/eslint-config': '*',
        '@citadel/jest-config': '*',
        '@citadel/tsconfig': '*',
      },
    },
    null,
    2,
  )}\n`;
}

export const appTsconfig = `{
  "extends": "@citadel/tsconfig/base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "declaration": false },
  "include": ["src"],
  "exclude": ["src/**/*.spec.ts"]
}
`;

export const appTsconfigSpec = `{
  "extends": "./tsconfig.json",
  "compilerOptions": { "noEmit": true, "types": ["node", "jest"] },
  "include": ["src"],
  "exclude": []
}
`;

export const appJestConfig = `import preset from '@citadel/jest-config';
// Embedded PostgreSQL (PGlite) takes seconds to start on a busy 2-core machine.
export default { ...preset, roots: ['<rootDir>/src'], testTimeout: 30_000 };
`;

const list = (names: string[]) =>
  names.length === 0
    ? 'nobody'
    : names.length === 1
      ? names[0]!
      : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Loaded with `node --import` before main.js (the launcher and the image do so). */
export function appInstrumentation(plan: ServicePlan): string {
  return `// The process's first module: \`node --import ./dist/instrumentation.js dist/main.js\` loads
// it before main.js and everything main.js imports, so OpenTelemetry's instrumentations
// are in place when the modules they patch are loaded (see @citadel/observability).
import '@citadel/observability/register';
import { initTracing, tracingEnvOf } from '@citadel/observability';

initTracing('${plan.name}', tracingEnvOf(process.env));
`;
}

export function appMain(plan: ServicePlan): string {
  const calls = Object.keys(plan.calls).filter((callee) => callee !== 'auth');
  return `import 'reflect-metadata';
import { serviceMain } from '@citadel/service-kit';
import { ${plan.pascal}Module } from './app.module.js';
import { ${plan.constant}_MIGRATIONS, type ${plan.pascal}Database } from './pings/ping.migrations.js';

// Vault (its own AppRole), its mTLS identity, its own database, the audit trail, a JWT
// verifier on auth's JWKS, then mTLS + the east-west policy + the JWT guard on every method.
serviceMain<${plan.pascal}Database${calls.length ? `, ${calls.map((c) => `'${c}'`).join(' | ')}` : ''}>({
  service: '${plan.name}',
  migrations: ${plan.constant}_MIGRATIONS,${calls.length ? `\n  calls: [${calls.map((c) => `'${c}'`).join(', ')}],` : ''}
  module: ({ db, audit }) => ${plan.pascal}Module.forRoot({ db, audit }),
});
`;
}

export function appModule(plan: ServicePlan): string {
  return `import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import type { Kysely } from '@citadel/database';
import { PingsController } from './pings.controller.js';
import type { ${plan.pascal}Database } from './pings/ping.migrations.js';
import { PingRepository } from './pings/ping.repository.js';
import { PingService } from './pings/ping.service.js';

@Module({})
export class ${plan.pascal}Module {
  static forRoot(deps: { db: Kysely<${plan.pascal}Database>; audit: AuditLog }): DynamicModule {
    return {
      module: ${plan.pascal}Module,
      controllers: [PingsController],
      providers: [
        PingService,
        { provide: PingRepository, useValue: new PingRepository(deps.db) },
        { provide: AuditLog, useValue: deps.audit },
      ],
    };
  }
}
`;
}

export function appController(plan: ServicePlan): string {
  return `import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { RequirePermission } from '@citadel/auth';
import type { ${plan.pascal}PingResponse } from '@citadel/contracts';
import { CurrentCall, type CallContext } from '@citadel/transport';
import { PingService } from './pings/ping.service.js';

/** gRPC transport for ${plan.name}. The guards have already checked caller, user and permission. */
@Controller()
export class PingsController {
  constructor(private readonly pings: PingService) {}

  @GrpcMethod('${plan.pascal}Service', 'Ping')
  @RequirePermission('${plan.permission}')
  ping(@CurrentCall() call: CallContext): Promise<${plan.pascal}PingResponse> {
    return this.pings.ping(call.caller, call.user!);
  }
}
`;
}

export function appMigrations(plan: ServicePlan): string {
  return `import { AUDIT_LOG_MIGRATION, type AuditDatabase } from '@citadel/audit';
import { sql, type Generated, type Migration } from '@citadel/database';

/**
 * The ${plan.name} service's schema, in its own PostgreSQL schema (its own login role on a
 * real server, its own embedded database locally). Add migrations; never edit applied ones.
 */
export const ${plan.constant}_MIGRATIONS: Record<string, Migration> = {
  '001-audit-log': AUDIT_LOG_MIGRATION,
  '002-pings': {
    async up(db) {
      await db.schema
        .createTable('pings')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('caller', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('at', 'timestamptz', (column) => column.notNull().defaultTo(sql\`now()\`))
        .execute();
      await db.schema.createIndex('pings_user_id').on('pings').column('user_id').execute();
    },
  },
};

export interface PingsTable {
  id: string;
  caller: string;
  user_id: string;
  at: Generated<Date | string>;
}

export interface ${plan.pascal}Database extends AuditDatabase {
  pings: PingsTable;
}
`;
}

export function appRepository(plan: ServicePlan): string {
  return `import { randomUUID } from 'node:crypto';
import type { Kysely } from '@citadel/database';
import type { ${plan.pascal}Database } from './ping.migrations.js';

/** The pings, in ${plan.name}'s own schema. */
export class PingRepository {
  constructor(private readonly db: Kysely<${plan.pascal}Database>) {}

  /** Records one ping; returns how many this user has made. */
  async record(caller: string, userId: string): Promise<number> {
    await this.db
      .insertInto('pings')
      .values({ id: randomUUID(), caller, user_id: userId })
      .execute();
    const { count } = await this.db
      .selectFrom('pings')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(count);
  }
}
`;
}

export function appService(plan: ServicePlan): string {
  return `import { Injectable } from '@nestjs/common';
import type { ${plan.pascal}PingResponse } from '@citadel/contracts';
import type { UserContext } from '@citadel/transport';
import { PingRepository } from './ping.repository.js';

/**
 * The use case behind Ping: who is calling, as this service sees it. The calling service
 * comes from its mTLS certificate and the user from the verified JWT, never from the
 * request. Replace it with ${plan.name}'s own use cases.
 */
@Injectable()
export class PingService {
  constructor(private readonly pings: PingRepository) {}

  async ping(caller: string, user: UserContext): Promise<${plan.pascal}PingResponse> {
    const pings = await this.pings.record(caller, user.id);
    return { service: '${plan.name}', caller, user_id: user.id, role: user.role, pings };
  }
}
`;
}

export function appServiceSpec(plan: ServicePlan): string {
  return `import { openServiceDatabase, type ServiceDatabase } from '@citadel/database';
import { ${plan.constant}_MIGRATIONS, type ${plan.pascal}Database } from './ping.migrations.js';
import { PingRepository } from './ping.repository.js';
import { PingService } from './ping.service.js';

describe('PingService (embedded PostgreSQL)', () => {
  let database: ServiceDatabase<${plan.pascal}Database>;
  let service: PingService;

  beforeAll(async () => {
    database = await openServiceDatabase<${plan.pascal}Database>(
      '${plan.name}',
      { kind: 'embedded-memory' },
      ${plan.constant}_MIGRATIONS,
    );
    service = new PingService(new PingRepository(database.db));
  });
  afterAll(() => database.close());

  it('answers with the caller from the certificate and the user from the JWT, and counts', async () => {
    const ada = { id: 'u-ada', role: 'admin' };
    expect(await service.ping('gateway', ada)).toEqual({
      service: '${plan.name}',
      caller: 'gateway',
      user_id: 'u-ada',
      role: 'admin',
      pings: 1,
    });
    expect((await service.ping('gateway', ada)).pings).toBe(2);
    expect((await service.ping('gateway', { id: 'u-bob', role: 'customer' })).pings).toBe(1);
  });
});
`;
}

export function appReadme(plan: ServicePlan): string {
  // `citadel.auth.v1.AuthService/GetJwks` → `GetJwks`: the callee is named beside it.
  const methods = (grant: readonly string[]) =>
    grant.map((method) => method.slice(method.indexOf('/') + 1)).join(', ');
  const callers = Object.entries(plan.callers).map(
    ([caller, grant]) => `\`${caller}\` (${methods(grant)} only)`,
  );
  const calls = Object.entries(plan.calls).map(
    ([callee, grant]) => `\`${callee}\` (${methods(grant)} only)`,
  );
  return `# ${plan.name}

Generated by \`${GENERATED} -- ${plan.name}\`: a gRPC service that is secure by default.
Replace Ping with ${plan.name}'s own methods; the defences stay where they are.

## gRPC surface

\`citadel.${plan.name.replaceAll('-', '_')}.v1.${plan.pascal}Service\` on \`${plan.constant}_PORT\` (default ${plan.port}),
mTLS only ([\`${plan.name}.proto\`](../../packages/contracts/proto/citadel/${plan.name}/v1/${plan.name}.proto)).
Every method needs a user JWT whose \`aud\` includes \`${plan.name}\`.

| method | permission | rule |
|---|---|---|
| \`Ping\` | \`${plan.permission}\` (admins, until a role is granted it in [\`rbac.ts\`](../../packages/auth/src/rbac.ts)) | records the call in ${plan.name}'s database; answers with the calling service (from its certificate), the user (from the JWT) and the user's ping count |
| \`VerifyAudit\`, \`ListAudit\`, \`ListAuditHashes\` | \`audit:read\` | this service's audit trail, as every Citadel service serves it (\`VerifyAudit\` and \`ListAuditHashes\` to the operators' \`auditor\` too) |

The east-west policy lets ${list(callers)} call it. It calls ${list(calls)}.

## Where the defences live

| file | defence |
|---|---|
| \`src/main.ts\` | one call to \`serviceMain\` ([\`service-main.ts\`](../../packages/service-kit/src/service-main.ts)): its own Vault AppRole, its mTLS identity from Vault, its own database role, the audit trail, then mTLS, the east-west policy (every method) and the JWT guard for \`aud=${plan.name}\`; once it listens, the forwarder that delivers its audit trail to the monitor |
| [\`east-west.policy.ts\`](../../packages/transport/src/east-west.policy.ts) | who may call ${plan.name}, and whom it may call |
| [\`infra/vault/policies/${plan.name}.hcl\`](../../infra/vault/policies/${plan.name}.hcl) | it reads its own secrets and nothing else |
| \`src/pings.controller.ts\` | \`Ping\` requires \`${plan.permission}\` |
| \`src/pings/ping.migrations.ts\` | its schema: one schema and one login role of its own (attack point 4) |

It is in the service registry ([\`service-registry.ts\`](../../packages/config/src/service-registry.ts)),
so \`npm start\`, the dev PKI, the Vault bootstrap and the e2e suite include it;
[\`docker-compose.yml\`](../../docker-compose.yml) and [\`infra/k8s/${plan.name}.yaml\`](../../infra/k8s/${plan.name}.yaml)
deploy it, and [\`e2e/${plan.name}.e2e-spec.ts\`](../../e2e/${plan.name}.e2e-spec.ts) attacks it.

## Environment

Read by \`serviceEnvSchema\` from \`@citadel/config\` (${plan.name} adds nothing).

| variable | default | used for |
|---|---|---|
| \`CITADEL_HOME\` | \`<repo>/.citadel\` | its AppRole credentials in \`vault/${plan.name}/\`, its embedded database in \`data/${plan.name}/\` |
| \`HOST\` | \`127.0.0.1\` | listen address; loopback only in local mode |
| \`${plan.constant}_PORT\` | ${plan.port} | gRPC listener |
| \`VAULT_ADDR\` | \`http://127.0.0.1:8200\` | its secrets |
| \`LOG_LEVEL\` | \`info\` | pino level |
`;
}

export function proto(plan: ServicePlan): string {
  return `syntax = "proto3";

// The ${plan.name} service (generated by \`${GENERATED}\`). It accepts calls only from the
// services the east-west policy names, and only with a user JWT addressed to it.
package citadel.${plan.name.replaceAll('-', '_')}.v1;

import "citadel/audit/v1/audit.proto";

service ${plan.pascal}Service {
  // Who is calling, as ${plan.name} sees it. Requires ${plan.permission}.
  rpc Ping(PingRequest) returns (PingResponse);
  // This service's audit trail: the chain check (operators' auditor identity or admins)
  // the records (admins), and its hashes (auditor).
  rpc VerifyAudit(citadel.audit.v1.VerifyAuditRequest) returns (citadel.audit.v1.AuditVerification);
  rpc ListAudit(citadel.audit.v1.ListAuditRequest) returns (citadel.audit.v1.ListAuditResponse);
  rpc ListAuditHashes(citadel.audit.v1.ListAuditHashesRequest) returns (citadel.audit.v1.AuditHashes);
}

message PingRequest {}

message PingResponse {
  string service = 1;
  // The calling service, from its certificate.
  string caller = 2;
  // The user, from the verified internal JWT.
  string user_id = 3;
  string role = 4;
  // How many times this user has pinged.
  int64 pings = 5;
}
`;
}

export function messages(plan: ServicePlan): string {
  return `// citadel.${plan.name.replaceAll('-', '_')}.v1 (generated by \`${GENERATED}\`): the messages of ${plan.name}.proto.

export type ${plan.pascal}PingRequest = Record<string, never>;

export interface ${plan.pascal}PingResponse {
  service: string;
  caller: string;
  user_id: string;
  role: string;
  pings: number;
}
`;
}

export function vaultPolicy(plan: ServicePlan): string {
  return `# The ${plan.name} service's Vault policy: its own secrets, read-only, and nothing else.
# Token lookup and renewal come from Vault's built-in "default" policy.
path "secret/data/citadel/${plan.name}/*" {
  capabilities = ["read"]
}
`;
}

export function deliveryPolicy(plan: ServicePlan): string {
  return `# What the Vault Agent in a ${plan.name} pod may do, logged in through Kubernetes auth as the
# ServiceAccount "${plan.name}" (role citadel-${plan.name}): read ${plan.name}'s AppRole role_id and mint
# one secret_id for it. Nothing else: not ${plan.name}'s secrets themselves (the service reads those
# with its AppRole, under infra/vault/policies/${plan.name}.hcl), and no other service's role.
path "auth/approle/role/${plan.name}/role-id" {
  capabilities = ["read"]
}

path "auth/approle/role/${plan.name}/secret-id" {
  capabilities = ["create", "update"]
}
`;
}

export function composeService(plan: ServicePlan): string {
  const dependsOn = [
    '      vault-init: { condition: service_completed_successfully }',
    '      postgres: { condition: service_healthy }',
    ...Object.keys(plan.calls).map((callee) => `      ${callee}: { condition: service_healthy }`),
  ];
  return `  # ${plan.name} (${GENERATED}): like payment, with its own AppRole volume.
  ${plan.name}:
    <<: *hardening
    build:
      <<: *citadel-build
      args: { APP: ${plan.name} }
    image: citadel/${plan.name}:local
    pull_policy: build
    user: '10001:10001'
    environment: *citadel-env
    volumes:
      - ${plan.name}-vault-credentials:/citadel/home/vault/${plan.name}:ro
      - ca:/citadel/ca:ro
    networks: [mesh, secrets, data]
    depends_on:
${dependsOn.join('\n')}
    healthcheck: *service-healthcheck
    restart: unless-stopped
`;
}

export function k8sManifest(plan: ServicePlan): string {
  const n = plan.name;
  return `# ${n} (generated by \`${GENERATED}\`). Reached by ${list(Object.keys(plan.callers))}, as the
# east-west policy says (components/network-policies/ is rendered from it). Calls ${list(Object.keys(plan.calls))}.
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${n}
  namespace: citadel
  labels:
    app: ${n}
    app.kubernetes.io/part-of: citadel
# Its identity is what Vault's Kubernetes auth role citadel-${n} is bound to. No API token
# is mounted into the service itself (see the Deployment's vault-token volume).
automountServiceAccountToken: false
---
apiVersion: v1
kind: Service
metadata:
  name: ${n}
  namespace: citadel
  labels:
    app: ${n}
    app.kubernetes.io/part-of: citadel
spec:
  selector:
    app: ${n}
  ports:
    - name: grpc-tls
      port: ${plan.port}
      targetPort: grpc-tls
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${n}
  namespace: citadel
  labels:
    app: ${n}
    app.kubernetes.io/part-of: citadel
spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app: ${n}
  template:
    metadata:
      labels:
        app: ${n}
        app.kubernetes.io/part-of: citadel
      annotations:
        # Vault Agent (the Helm chart's injector) fetches ${n}'s AppRole role_id and a fresh
        # secret_id into $CITADEL_HOME/vault/${n} and exits before the service starts, which
        # then logs in with its AppRole exactly as in compose.
        vault.hashicorp.com/agent-inject: 'true'
        vault.hashicorp.com/agent-pre-populate-only: 'true'
        vault.hashicorp.com/service: https://vault.vault.svc:8200
        vault.hashicorp.com/tls-secret: citadel-vault-ca
        vault.hashicorp.com/ca-cert: /vault/tls/ca.pem
        vault.hashicorp.com/role: citadel-${n}
        vault.hashicorp.com/agent-service-account-token-volume-name: vault-token
        vault.hashicorp.com/agent-run-as-user: '10001'
        vault.hashicorp.com/agent-run-as-group: '10001'
        vault.hashicorp.com/secret-volume-path: /citadel/home/vault/${n}
        vault.hashicorp.com/agent-inject-secret-role_id: auth/approle/role/${n}/role-id
        vault.hashicorp.com/agent-inject-template-role_id: |
          {{- with secret "auth/approle/role/${n}/role-id" -}}{{ .Data.role_id }}{{- end -}}
        vault.hashicorp.com/agent-inject-perms-role_id: '0400'
        vault.hashicorp.com/agent-inject-secret-secret_id: auth/approle/role/${n}/secret-id
        vault.hashicorp.com/agent-inject-template-secret_id: |
          {{- with secret "auth/approle/role/${n}/secret-id" -}}{{ .Data.secret_id }}{{- end -}}
        vault.hashicorp.com/agent-inject-perms-secret_id: '0400'
    spec:
      serviceAccountName: ${n}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: ${n}
          image: citadel/${n}:0.1.0
          env:
            - name: CITADEL_DEPLOYMENT
              value: container
            - name: CITADEL_HOME
              value: /citadel/home
            - name: HOST
              value: '0.0.0.0'
            - name: VAULT_ADDR
              value: https://vault.vault.svc:8200
            - name: VAULT_CACERT
              value: /citadel/ca/ca.pem
            - name: PGSSLMODE
              value: verify-full
            - name: NODE_EXTRA_CA_CERTS
              value: /citadel/ca/ca.pem
            - name: LOG_LEVEL
              value: info
          ports:
            - name: grpc-tls
              containerPort: ${plan.port}
          # The listener speaks mTLS only: readiness checks the TLS 1.3 handshake and this
          # service's SPIFFE ID against the Citadel CA (infra/docker/healthcheck.mjs).
          readinessProbe:
            exec:
              command: [node, /app/infra/docker/healthcheck.mjs]
            periodSeconds: 10
            timeoutSeconds: 5
          livenessProbe:
            tcpSocket:
              port: grpc-tls
            periodSeconds: 20
            timeoutSeconds: 5
          resources:
            requests:
              cpu: 100m
              memory: 192Mi
            limits:
              cpu: '1'
              memory: 512Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: citadel-ca
              mountPath: /citadel/ca
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        # The Citadel CA certificate (public): trusts Vault's and PostgreSQL's certificates.
        - name: citadel-ca
          configMap:
            name: citadel-ca
        - name: tmp
          emptyDir:
            medium: Memory
            sizeLimit: 16Mi
        # For Vault Agent only: a short-lived token whose audience is Vault, not the API server.
        - name: vault-token
          projected:
            sources:
              - serviceAccountToken:
                  audience: vault
                  expirationSeconds: 600
                  path: token
---
# A drain evicts one ${n} pod at a time: the other keeps serving.
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ${n}
  namespace: citadel
  labels:
    app: ${n}
    app.kubernetes.io/part-of: citadel
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: ${n}
`;
}

export function e2eSpec(plan: ServicePlan): string {
  const n = plan.name;
  const allowed = plan.allowedPath;
  const allowedTests = allowed
    ? `
  it('${allowed.caller} (allowed) with an admin JWT → OK, the caller read from its certificate', async () => {
    const jwt = await internalJwtFor(await tokenFor('ada'), '${allowed.audience}');
    const client = grpcClient('${n}', '${allowed.caller}');
    const outcome = await client.call('Ping', {}, jwt);
    client.close();
    expect(outcome.code).toBe(status.OK);
    expect(outcome.response).toMatchObject({ service: '${n}', caller: '${allowed.caller}', role: 'admin' });
  });

  it('${allowed.caller} (allowed) with a customer JWT → PERMISSION_DENIED (${plan.permission} is not theirs)', async () => {
    const jwt = await internalJwtFor(await tokenFor('alice'), '${allowed.audience}');
    const client = grpcClient('${n}', '${allowed.caller}');
    const outcome = await client.call('Ping', {}, jwt);
    client.close();
    expect(outcome.code).toBe(status.PERMISSION_DENIED);
  });

  it('${allowed.caller} (allowed) without a user JWT → UNAUTHENTICATED', async () => {
    const client = grpcClient('${n}', '${allowed.caller}');
    const outcome = await client.call('Ping', {});
    client.close();
    expect(outcome.code).toBe(status.UNAUTHENTICATED);
  });
`
    : `
  // No caller in its policy is reachable from the gateway, so no user JWT can reach ${n}
  // through the system yet: add an allowed-caller test here when one is.
`;
  return `// ${n} (generated by \`${GENERATED}\`), attacked like every Citadel service: only the
// services its east-west policy names reach it, each with a user JWT addressed to it, and
// Ping needs ${plan.permission}. Its audit trail reaches the monitor, which keeps a copy
// ${n} cannot rewrite.
import { status } from '@grpc/grpc-js';
import { auditVerify, until } from './support/audit-verify.js';
import { grpcClient${allowed ? ', internalJwtFor' : ''} } from './support/grpc.js';
${allowed ? "import { tokenFor } from './support/http.js';\n" : ''}
describe('${n}: secure by default', () => {
  it('a service outside its policy (analytics, valid Citadel certificate) → PERMISSION_DENIED', async () => {
    const client = grpcClient('${n}', 'analytics');
    const outcome = await client.call('Ping', {});
    client.close();
    expect(outcome.code).toBe(status.PERMISSION_DENIED);
  });

  it('is wired into the monitor: after its Ping, audit:verify finds its chain ok and held there', async () => {
    // The refused Ping is an audit record (rpc.denied), which ${n}'s forwarder delivers.
    const client = grpcClient('${n}', 'analytics');
    expect((await client.call('Ping', {})).code).toBe(status.PERMISSION_DENIED);
    client.close();
    const line = /^${n}\\s+ok\\s+\\d+ records, (\\d+) held by the monitor$/m;
    let output = '';
    const held = await until(
      'audit:verify to find ${n} ok, with records held by the monitor',
      async () => {
        output = (await auditVerify()).stdout;
        const found = Number(line.exec(output)?.[1] ?? 0);
        return found >= 1 ? found : undefined;
      },
      15_000,
    ).catch((error: Error) => {
      throw new Error(\`\${error.message}; audit:verify said:\\n\${output}\`);
    });
    expect(held).toBeGreaterThanOrEqual(1);
  });

  it('no client certificate, or plaintext → refused at the handshake', async () => {
    for (const as of ['no-client-cert', 'plaintext'] as const) {
      const client = grpcClient('${n}', as);
      const outcome = await client.call('Ping', {});
      client.close();
      expect([as, outcome.code]).toEqual([as, status.UNAVAILABLE]);
    }
  });
${allowedTests}});
`;
}
