import fs from 'node:fs';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';
import { GRPC_SERVICES, SERVICE_REGISTRY } from '@citadel/config';
import { contractOf, LOADER_OPTIONS, PROTO_ROOT } from '@citadel/contracts';
import { EAST_WEST_POLICY, OPERATOR_POLICY } from './east-west.policy.js';

/** Every .proto of the contracts package, and the gRPC services they declare. */
function contractServices(): Map<string, string[]> {
  const files = (fs.readdirSync(PROTO_ROOT, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.proto'))
    .map((file) => path.join(PROTO_ROOT, file));
  const definitions = protoLoader.loadSync(files, LOADER_OPTIONS);
  const services = new Map<string, string[]>();
  for (const [name, definition] of Object.entries(definitions)) {
    // A service is a map of methods, each with its path; messages have a format.
    if ('format' in definition) continue;
    services.set(
      name,
      Object.values(definition as protoLoader.ServiceDefinition).map((method) =>
        method.path.slice(1),
      ),
    );
  }
  return services;
}

const CONTRACT_SERVICES = contractServices();
/** What every Citadel gRPC server answers besides its contract (startGrpcService). */
const HEALTH_METHODS = Object.values(healthService).map((method) => method.path.slice(1));

/** The full names of the methods one registered service's server answers. */
function servedBy(service: string): string[] {
  const { package: pkg, service: name } = contractOf(service);
  return [...(CONTRACT_SERVICES.get(`${pkg}.${name}`) ?? []), ...HEALTH_METHODS];
}

const registered: readonly string[] = SERVICE_REGISTRY.map((service) => service.name);

describe('the east-west policy tells the whole truth', () => {
  it('finds the contracts it checks against (every registered gRPC service has one)', () => {
    expect(CONTRACT_SERVICES.size).toBeGreaterThanOrEqual(GRPC_SERVICES.length);
    for (const service of GRPC_SERVICES)
      expect(servedBy(service)).toContain(
        `${contractOf(service).package}.${contractOf(service).service}/VerifyAudit`,
      );
  });

  it('names only existing callees and callers: services of the registry', () => {
    for (const [callee, callers] of Object.entries(EAST_WEST_POLICY)) {
      expect(GRPC_SERVICES).toContain(callee);
      for (const caller of Object.keys(callers)) expect(registered).toContain(caller);
    }
  });

  it('declares operators apart, under names no service has', () => {
    for (const operator of Object.keys(OPERATOR_POLICY)) expect(registered).not.toContain(operator);
  });

  it('grants no method the callee does not serve', () => {
    const unknown = Object.entries(EAST_WEST_POLICY).flatMap(([callee, callers]) =>
      Object.entries(callers).flatMap(([caller, methods]) =>
        methods
          .filter((method) => !servedBy(callee).includes(method))
          .map((method) => `${caller} → ${callee}: ${method}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('grants operators only methods some registered service serves', () => {
    const served = GRPC_SERVICES.flatMap(servedBy);
    const unknown = Object.entries(OPERATOR_POLICY).flatMap(([operator, methods]) =>
      methods.filter((method) => !served.includes(method)).map((m) => `${operator}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('grants each contract method to named callers or to nobody, never to a wildcard', () => {
    const grants: string[] = [
      ...Object.values(EAST_WEST_POLICY).flatMap((callers) => Object.values(callers)),
      ...Object.values(OPERATOR_POLICY),
    ].flat();
    expect(grants.every((method) => /^[\w.]+\/\w+$/.test(method))).toBe(true);
    // Today's methods that nobody may call: a reader sees them here, not by omission.
    const everyMethod = [...CONTRACT_SERVICES.values()].flat();
    const ungranted = everyMethod.filter(
      (method) => !grants.includes(method) && /^citadel\.(auth|order|payment)\./.test(method),
    );
    expect(ungranted.sort()).toEqual([
      'citadel.payment.v1.PaymentService/GetPayment',
      'citadel.payment.v1.PaymentService/ListAudit',
    ]);
  });
});
