/**
 * The generated service's files: Handlebars templates in `tools/new-service/templates/`
 * (rendered by Plop), the data they are rendered with, and where each one goes. The
 * templates are checked against apps/monitor, a service this generator made
 * (`template-drift.spec.ts`).
 */
import { fileURLToPath } from 'node:url';
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

/** tools/new-service/templates/ (beside dist/ and src/). */
export const TEMPLATE_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

/** Each template (relative to TEMPLATE_DIR) and the file it becomes (relative to the root). */
export function serviceTemplates(name: string): { template: string; target: string }[] {
  const app = (file: string) => ({ template: `app/${file}.hbs`, target: `apps/${name}/${file}` });
  return [
    app('package.json'),
    app('tsconfig.json'),
    app('tsconfig.spec.json'),
    app('jest.config.js'),
    app('README.md'),
    app('src/instrumentation.ts'),
    app('src/main.ts'),
    app('src/app.module.ts'),
    app('src/pings.controller.ts'),
    app('src/pings/ping.migrations.ts'),
    app('src/pings/ping.repository.ts'),
    app('src/pings/ping.service.ts'),
    app('src/pings/ping.service.spec.ts'),
    {
      template: 'contracts/service.proto.hbs',
      target: `packages/contracts/proto/citadel/${name}/v1/${name}.proto`,
    },
    { template: 'vault/policy.hcl.hbs', target: `infra/vault/policies/${name}.hcl` },
    { template: 'k8s/service.yaml.hbs', target: `infra/k8s/${name}.yaml` },
    { template: 'e2e/service.e2e-spec.ts.hbs', target: `e2e/${name}.e2e-spec.ts` },
  ];
}

/** The block docker-compose.yml gets (rendered alone, then inserted by yaml-edits.ts). */
export const COMPOSE_TEMPLATE = 'compose/service.yml.hbs';

/** "a", "a and b", "a, b and c" */
const list = (names: string[]) =>
  names.length === 0
    ? 'nobody'
    : names.length === 1
      ? names[0]!
      : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** `citadel.auth.v1.AuthService/GetJwks` → `GetJwks`: the callee is named beside it. */
const methods = (grant: readonly string[]) =>
  grant.map((method) => method.slice(method.indexOf('/') + 1)).join(', ');

/** The plan, and what the templates show of it, ready for Handlebars. */
export function templateData(plan: ServicePlan) {
  const granted = (grants: Record<string, MethodGrant>) =>
    list(Object.entries(grants).map(([name, grant]) => `\`${name}\` (${methods(grant)} only)`));
  return {
    ...plan,
    protoPackage: plan.name.replaceAll('-', '_'),
    /** The services it calls through serviceMain's clients (auth's JWKS is built in). */
    callees: Object.keys(plan.calls).filter((callee) => callee !== 'auth'),
    callsAll: Object.keys(plan.calls),
    callersList: list(Object.keys(plan.callers)),
    callsList: list(Object.keys(plan.calls)),
    callersText: granted(plan.callers),
    callsText: granted(plan.calls),
  };
}
