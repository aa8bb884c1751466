import * as grpc from '@grpc/grpc-js';
import {
  serviceClientConstructor,
  type ContractClient,
  type ContractName,
} from '@citadel/contracts';
import { channelCredentials, type MeshIdentity } from './mtls.js';

export interface CallOptions {
  /** The user's internal JWT, sent as `authorization: Bearer …`. */
  jwt?: string;
  deadlineMs?: number;
  /**
   * Cancels the call when it aborts (the client that asked went away): the server sees
   * CANCELLED and can drop work nobody waits for; the promise rejects with CANCELLED.
   */
  signal?: AbortSignal;
}

type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/**
 * A long-lived mTLS client for one Citadel service: one channel, reused by every call
 * (a new channel per request would pay a TLS handshake each time). Its methods are the
 * service's contract, typed from the .proto file: `client.rpc.createOrder(request, options)`
 * answers a `Promise<Order>`; a method or field the contract does not have fails the build.
 *
 * A call continues the trace of the request being served without being told: OpenTelemetry's
 * grpc-js instrumentation starts a client span under the active context and injects its
 * `traceparent` into the call's metadata (see @citadel/observability).
 */
export class ServiceClient<S extends ContractName = ContractName> {
  private readonly client: grpc.Client;
  /** The contract's methods, each with the per-call {@link CallOptions}. */
  readonly rpc: ContractClient<S, CallOptions>;

  constructor(
    readonly target: S,
    address: string,
    material: MeshIdentity,
  ) {
    const Ctor = serviceClientConstructor(target);
    this.client = new Ctor(address, channelCredentials(material, target), {
      'grpc.keepalive_time_ms': 30_000,
      // Channelz (grpc-js's introspection, which Citadel does not serve) keeps per-call
      // statistics on every call; nothing reads them.
      'grpc.enable_channelz': 0,
      // Services are addressed by IP on loopback; TLS SNI must be a name (RFC 6066), and
      // the server's identity is checked by its SPIFFE ID, not by this name.
      'grpc.ssl_target_name_override': `${target}.citadel.local`,
    });
    this.rpc = contractClient(this.client, target);
  }

  /** Standard gRPC health check (grpc.health.v1), over the same mTLS channel. */
  health(deadlineMs = 1_000): Promise<boolean> {
    return healthCheck(this.client, deadlineMs);
  }

  close(): void {
    this.client.close();
  }
}

/** A call's metadata: the user's internal JWT as `authorization: Bearer …`, when it has one. */
export function bearerMetadata(options: CallOptions): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (options.jwt) metadata.set('authorization', `Bearer ${options.jwt}`);
  return metadata;
}

/**
 * The typed methods of `target`'s contract over `client`'s channel (any channel: the bench's
 * plaintext baseline uses it too, with metadata of its own). The names are the ones ts-proto
 * gives the generated interface (`createOrder`), which grpc-js also gives each method of the
 * loaded service (its `originalName`), so types and wire come from the same .proto file.
 */
export function contractClient<S extends ContractName>(
  client: grpc.Client,
  target: S,
  metadataFor: (options: CallOptions) => grpc.Metadata = bearerMetadata,
): ContractClient<S, CallOptions> {
  const methods: Record<string, (request: object, options?: CallOptions) => Promise<unknown>> = {};
  for (const [method, definition] of Object.entries(serviceClientConstructor(target).service)) {
    methods[definition.originalName ?? method] = (request, options = {}) =>
      unaryCall(client, target, method, request, metadataFor(options), options);
  }
  return methods as unknown as ContractClient<S, CallOptions>;
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return typeof error === 'object' && error !== null && 'code' in error && 'details' in error;
}

/**
 * One unary call of `client`'s service (`target`, for errors) by its method's name in the
 * loaded service definition (see {@link contractClient}), with a deadline (5 s unless told)
 * and, when `signal` aborts, cancelled: what every Citadel client does per call, whatever
 * its channel.
 */
function unaryCall<Res>(
  client: grpc.Client,
  target: string,
  method: string,
  request: object,
  metadata: grpc.Metadata,
  { deadlineMs = 5_000, signal }: Pick<CallOptions, 'deadlineMs' | 'signal'> = {},
): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod>)[method];
  if (typeof fn !== 'function') throw new Error(`${target} has no method ${method}`);
  const deadline = Date.now() + deadlineMs;
  return new Promise<Res>((resolve, reject) => {
    const cancel = () => call.cancel();
    const call = fn.call(client, request, metadata, { deadline }, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      if (error) reject(error);
      else resolve(response as Res);
    });
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

/** The standard gRPC health check (grpc.health.v1) over `client`'s channel: SERVING or not. */
export function healthCheck(client: grpc.Client, deadlineMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      // An empty HealthCheckRequest (service "") encodes to zero bytes.
      () => Buffer.alloc(0),
      (buffer: Buffer) => buffer,
      {},
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error: grpc.ServiceError | null, response?: Buffer) =>
        // HealthCheckResponse { status = 1 (SERVING) } encodes as 08 01.
        resolve(!error && !!response && response.length === 2 && response[1] === 1),
    );
  });
}
