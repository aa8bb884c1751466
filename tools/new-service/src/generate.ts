import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_REGISTRY } from '@citadel/config';
import { serviceClientConstructor, type ContractName } from '@citadel/contracts';
import {
  delegatesTo,
  EAST_WEST_POLICY,
  fullMethodName,
  OPERATOR_POLICY,
  type EastWestPolicy,
  type FullMethodName,
  type MethodGrant,
  type OperatorPolicy,
} from '@citadel/transport';
import { constantCase, pascalCase, serviceNameProblem } from './service-name.js';
import nodePlop, { type NodePlopAPI } from 'node-plop';
import citadelPlopfile, { renderTemplate, type GeneratorData } from './plopfile.js';
import { addPermission, addPolicyEntries, addRegistryEntry, formatAs } from './source-edits.js';
import { COMPOSE_TEMPLATE, serviceTemplates, templateData, type ServicePlan } from './templates.js';
import { addComposeService, addKustomizationResource } from './yaml-edits.js';

export class GenerateError extends Error {
  override name = 'GenerateError';
}

export interface ServiceRequest {
  name: string;
  /** Services that may call it (default: the gateway). */
  callers?: string[];
  /** Services it calls besides auth, which it always calls for the JWKS. */
  calls?: string[];
}

/** What the registry, the policy and the contracts say today (defaults: the built ones). */
export interface ProjectState {
  registry: readonly { name: string; kind: string; port: number }[];
  policy: EastWestPolicy;
  operators: OperatorPolicy;
  /** The full names of a gRPC service's contract methods. */
  methodsOf(service: string): FullMethodName[];
}

/** A contract's methods, as its .proto declares them (the grpc-js paths, without the slash). */
function contractMethods(service: string): FullMethodName[] {
  return Object.values(serviceClientConstructor(service as ContractName).service).map(
    (method) => method.path.slice(1) as FullMethodName,
  );
}

const CURRENT: ProjectState = {
  registry: SERVICE_REGISTRY,
  policy: EAST_WEST_POLICY,
  operators: OPERATOR_POLICY,
  methodsOf: contractMethods,
};

/** The audit trail's methods: the operators' and admins' (through the gateway), not a caller's. */
const AUDIT_METHODS = new Set(['VerifyAudit', 'ListAudit']);

/**
 * The identity a name already has in the policy, if any: granted calls as a caller (in any
 * callee's block) or as an operator. A service taking that name would inherit them, so a
 * grant written for an identity that did not exist yet would become real without review.
 */
function grantedIdentity(name: string, state: ProjectState): string | undefined {
  if (Object.hasOwn(state.operators, name))
    return `"${name}" is an operator identity of the east-west policy (OPERATOR_POLICY), not a service name`;
  const callees = Object.entries(state.policy)
    .filter(([, callers]) => Object.hasOwn(callers, name))
    .map(([callee]) => callee);
  if (callees.length)
    return `"${name}" is already granted calls to ${callees.join(', ')} in the east-west policy; a service by that name would inherit them: remove those grants first, or pick another name`;
  return undefined;
}

/** Validates a request against the project and works out everything the templates need. */
export function planService(request: ServiceRequest, state: ProjectState = CURRENT): ServicePlan {
  const { name } = request;
  const services = state.registry.map((s) => s.name);
  const grpc = state.registry.filter((s) => s.kind === 'grpc').map((s) => s.name);
  const problem = serviceNameProblem(name, services) ?? grantedIdentity(name, state);
  if (problem) throw new GenerateError(problem);
  const callers = [...new Set(request.callers?.length ? request.callers : ['gateway'])];
  for (const caller of callers) {
    if (!services.includes(caller))
      throw new GenerateError(
        `--callers ${caller}: not a service (known: ${services.join(', ')}); add the service first`,
      );
  }
  const calls = [...new Set(['auth', ...(request.calls ?? [])])];
  for (const callee of calls) {
    if (!grpc.includes(callee))
      throw new GenerateError(`--calls ${callee}: not a gRPC service (known: ${grpc.join(', ')})`);
  }
  const port = Math.max(...state.registry.filter((s) => s.kind === 'grpc').map((s) => s.port)) + 1;
  if (state.registry.some((s) => s.port === port))
    throw new GenerateError(`port ${port} is taken; give the registry's last service a free one`);
  // A user JWT reaches the new service through a caller the gateway may get tokens for.
  const entry = callers.includes('gateway')
    ? { caller: 'gateway', audience: name }
    : callers
        .filter((caller) => delegatesTo('gateway', caller, state.policy))
        .map((caller) => ({ caller, audience: caller }))[0];
  // Its callers get its one method, Ping; its audit trail is the operators' (OPERATOR_POLICY
  // follows the registry) and nobody else's until someone grants it here.
  const ping = [fullMethodName(name, 'Ping')];
  return {
    name,
    pascal: pascalCase(name),
    constant: constantCase(name),
    port,
    callers: Object.fromEntries(callers.map((caller): [string, MethodGrant] => [caller, ping])),
    // auth for the JWKS only; any other callee's contract, its audit trail aside: trim it
    // in the policy to what the new service really calls.
    calls: Object.fromEntries(
      calls.map((callee): [string, MethodGrant] => [
        callee,
        callee === 'auth'
          ? [fullMethodName('auth', 'GetJwks')]
          : state
              .methodsOf(callee)
              .filter((method) => !AUDIT_METHODS.has(method.slice(method.indexOf('/') + 1))),
      ]),
    ),
    permission: `${name}:ping`,
    ...(entry ? { allowedPath: entry } : {}),
  };
}

/** Where each piece goes, relative to the repository root. */
export function servicePaths(name: string) {
  return {
    app: `apps/${name}`,
    protoDir: `packages/contracts/proto/citadel/${name}`,
    proto: `packages/contracts/proto/citadel/${name}/v1/${name}.proto`,
    vaultPolicy: `infra/vault/policies/${name}.hcl`,
    k8s: `infra/k8s/${name}.yaml`,
    e2e: `e2e/${name}.e2e-spec.ts`,
    // The shared files it adds to.
    registry: 'packages/config/src/service-registry.ts',
    policy: 'packages/transport/src/east-west.policy.ts',
    rbac: 'packages/auth/src/rbac.ts',
    compose: 'docker-compose.yml',
    kustomization: 'infra/k8s/kustomization.yaml',
  };
}

export interface GeneratedService {
  plan: ServicePlan;
  created: string[];
  changed: string[];
}

/** A node-plop instance writing into `root`, with the `service` generator registered. */
export async function citadelPlop(root: string): Promise<NodePlopAPI> {
  const plop = await nodePlop(undefined, { destBasePath: root, force: false });
  citadelPlopfile(plop);
  return plop;
}

/**
 * The new content of each shared file the service is added to: ts-morph edits of the
 * TypeScript (formatted by Prettier), line edits of the YAML. Throws before anything is
 * written when a file is not as expected.
 */
export async function sharedFileEdits(
  root: string,
  plan: ServicePlan,
  plop?: NodePlopAPI,
): Promise<Record<string, string>> {
  const p = servicePaths(plan.name);
  const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
  const formatted = (file: string, source: string) => formatAs(path.join(root, file), source);
  const generated = `${plan.name} (npm run new:service)`;
  const compose = await renderTemplate(
    plop ?? (await citadelPlop(root)),
    COMPOSE_TEMPLATE,
    templateData(plan),
    'compose.txt',
  );
  return {
    [p.registry]: await formatted(
      p.registry,
      addRegistryEntry(read(p.registry), {
        name: plan.name,
        kind: 'grpc',
        port: plan.port,
        database: true,
      }),
    ),
    [p.policy]: await formatted(
      p.policy,
      addPolicyEntries(
        read(p.policy),
        plan.name,
        plan.callers,
        plan.calls,
        `${generated}: who may call it.`,
      ),
    ),
    [p.rbac]: await formatted(
      p.rbac,
      addPermission(
        read(p.rbac),
        plan.permission,
        `${generated}: admins only until a role below is granted it.`,
      ),
    ),
    [p.compose]: addComposeService(
      read(p.compose),
      plan.name,
      compose,
      `${plan.name}-vault-credentials:/citadel/home/vault/${plan.name}`,
    ),
    [p.kustomization]: addKustomizationResource(read(p.kustomization), `${plan.name}.yaml`),
  };
}

/**
 * Writes the service into the repository at `root` with the Plop generator. Refuses to
 * overwrite anything: every file it creates must be new, and every edit must find its
 * place; all of it is worked out before the first write, and a failed write rolls back
 * what was written.
 */
export async function writeService(root: string, plan: ServicePlan): Promise<GeneratedService> {
  const p = servicePaths(plan.name);
  const created = serviceTemplates(plan.name).map(({ target }) => target);
  const taken = [p.app, p.protoDir, ...created].filter((file) =>
    fs.existsSync(path.join(root, file)),
  );
  if (taken.length) throw new GenerateError(`refusing to overwrite: ${taken.join(', ')}`);

  const plop = await citadelPlop(root);
  const edits = await sharedFileEdits(root, plan, plop);
  const originals = new Map(
    Object.keys(edits).map((file) => [file, fs.readFileSync(path.join(root, file), 'utf8')]),
  );
  const data: GeneratorData = { ...templateData(plan), edits };
  const { failures } = await plop.getGenerator('service').runActions(data);
  if (failures.length) {
    for (const [file, content] of originals) fs.writeFileSync(path.join(root, file), content);
    for (const file of created) fs.rmSync(path.join(root, file), { force: true });
    for (const dir of [p.app, p.protoDir])
      fs.rmSync(path.join(root, dir), { recursive: true, force: true });
    throw new GenerateError(
      `writing ${plan.name} failed, nothing kept: ${failures.map((f) => `${f.path}: ${f.error}`).join('; ')}`,
    );
  }
  return { plan, created, changed: Object.keys(edits) };
}
