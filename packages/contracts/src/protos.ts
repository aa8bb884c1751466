import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** `packages/contracts/proto`: the one place every service and test reads the protos from. */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../proto');

export const CONTRACTS = {
  auth: { package: 'citadel.auth.v1', service: 'AuthService' },
  order: { package: 'citadel.order.v1', service: 'OrderService' },
  payment: { package: 'citadel.payment.v1', service: 'PaymentService' },
} as const;
export type ContractName = keyof typeof CONTRACTS;

/** Loader options shared by NestJS servers and raw grpc-js clients. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export function protoPath(service: ContractName): string {
  return path.join(PROTO_ROOT, 'citadel', service, 'v1', `${service}.proto`);
}

const constructors = new Map<ContractName, grpc.ServiceClientConstructor>();

/** The grpc-js client constructor for one Citadel service, loaded once. */
export function serviceClientConstructor(service: ContractName): grpc.ServiceClientConstructor {
  let ctor = constructors.get(service);
  if (!ctor) {
    const definition = protoLoader.loadSync(protoPath(service), LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(definition);
    const { package: pkg, service: name } = CONTRACTS[service];
    let node: unknown = loaded;
    for (const part of [...pkg.split('.'), name]) node = (node as Record<string, unknown>)[part];
    ctor = node as grpc.ServiceClientConstructor;
    constructors.set(service, ctor);
  }
  return ctor;
}
