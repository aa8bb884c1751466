import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { GRPC_SERVICES, type GrpcServiceName } from '@citadel/config';

/** `packages/contracts/proto`: the one place every service and test reads the protos from. */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../proto');

/** Every gRPC service of the service registry (packages/config) has one contract. */
export type ContractName = GrpcServiceName;

export interface Contract {
  /** `citadel.order.v1`: the proto package (a `-` in the service name becomes `_`). */
  package: string;
  /** `OrderService`: the service in that package. */
  service: string;
}

/** The contract of a service by convention: `citadel.<name>.v1.<Name>Service` in `<name>.proto`. */
export function contractOf(name: string): Contract {
  const words = name.split('-');
  return {
    package: `citadel.${words.join('_')}.v1`,
    service: `${words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('')}Service`,
  };
}

export const CONTRACTS = Object.fromEntries(
  GRPC_SERVICES.map((name) => [name, contractOf(name)]),
) as Readonly<Record<ContractName, Contract>>;

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
