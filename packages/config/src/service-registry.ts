/**
 * The one list of the services that make up Citadel. Everything that starts, certifies,
 * configures or deploys a service follows it: the launcher (`npm start`, the e2e suite),
 * the dev PKI (one certificate each), the Vault bootstrap (one AppRole and policy each; a
 * database role for each that owns data), the environment schema (`<NAME>_PORT`,
 * `<NAME>_HOST`), the gRPC contracts and the deployment checks.
 *
 * `npm run new:service -- <name>` appends one line here (next free port above the last
 * gRPC service's); nothing else in the shared code has to learn the new name. Who may call
 * the service is not here: that is the east-west policy's job
 * (packages/transport/src/east-west.policy.ts).
 */
export interface ServiceDeclaration {
  readonly name: string;
  /** `http`: the HTTPS edge (the gateway, only one). `grpc`: gRPC on mutual TLS only. */
  readonly kind: 'http' | 'grpc';
  /** Its default port (`<NAME>_PORT` overrides it). */
  readonly port: number;
  /** Whether it owns data: its own schema and login role, or its own embedded database. */
  readonly database: boolean;
}

export const SERVICE_REGISTRY = [
  { name: 'gateway', kind: 'http', port: 8443, database: false },
  { name: 'auth', kind: 'grpc', port: 50051, database: true },
  { name: 'order', kind: 'grpc', port: 50052, database: true },
  { name: 'payment', kind: 'grpc', port: 50053, database: true },
  { name: 'monitor', kind: 'grpc', port: 50054, database: true },
] as const satisfies readonly ServiceDeclaration[];
