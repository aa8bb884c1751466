import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import {
  serviceClientConstructor,
  type ContractName,
  type Draft,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '@citadel/contracts';
import type { ServiceName } from '@citadel/config';
import { e2eState } from './state.js';

export interface GrpcOutcome<Res = unknown> {
  code: grpc.status;
  details: string;
  /** The answer; present only when `code` is OK (a test checks the code first). */
  response: Res;
}

/**
 * Each method of `S`'s contract, by its generated name: `client.rpc.createOrder(request, jwt)`.
 * The request may leave fields out (or, for the attacker's probes, carry none at all); in
 * place of a user JWT, an attacker may send metadata of their own.
 */
export type OutcomeClient<S extends ContractName> = {
  [M in MethodName<S>]: (
    request: Draft<RequestOf<S, M>>,
    jwt?: string | grpc.Metadata,
  ) => Promise<GrpcOutcome<ResponseOf<S, M>>>;
};

/** An attacker's credentials, or the certificate of any service of the registry. */
export type Credentials = 'plaintext' | 'no-client-cert' | 'foreign-ca' | 'analytics' | ServiceName;

/**
 * A raw gRPC client to one Citadel service, holding whatever credentials an attacker
 * (or a legitimate peer) has. Calls resolve to their status instead of throwing.
 */
export function grpcClient<S extends ContractName>(target: S, as: Credentials) {
  const state = e2eState();
  const read = (file: string) => fs.readFileSync(file);
  // The mesh CA (Vault's PKI engine), which every service's certificate comes from.
  const citadelCa = read(state.mesh.ca);
  let credentials: grpc.ChannelCredentials;
  switch (as) {
    case 'plaintext':
      credentials = grpc.credentials.createInsecure();
      break;
    case 'no-client-cert':
      credentials = grpc.credentials.createSsl(citadelCa);
      break;
    case 'foreign-ca':
      credentials = grpc.credentials.createSsl(
        citadelCa,
        read(state.attacker.foreignGateway.key),
        read(state.attacker.foreignGateway.cert),
      );
      break;
    case 'analytics':
      credentials = grpc.credentials.createSsl(
        citadelCa,
        read(state.attacker.analytics.key),
        read(state.attacker.analytics.cert),
      );
      break;
    default:
      credentials = grpc.credentials.createSsl(
        citadelCa,
        read(state.mesh.identities[as].key),
        read(state.mesh.identities[as].cert),
      );
  }
  const Ctor = serviceClientConstructor(target);
  const client = new Ctor(`127.0.0.1:${state.ports[target]}`, credentials, {
    // The name a service's certificate carries (Vault's role allows no other).
    'grpc.ssl_target_name_override': `${target}.citadel.local`,
    // Fail fast: a refused handshake should surface as UNAVAILABLE, not a retry loop.
    'grpc.initial_reconnect_backoff_ms': 100,
  });
  const call = (
    method: string,
    request: object,
    jwt?: string | grpc.Metadata,
  ): Promise<GrpcOutcome> => {
    const metadata = jwt instanceof grpc.Metadata ? jwt : new grpc.Metadata();
    if (typeof jwt === 'string') metadata.set('authorization', `Bearer ${jwt}`);
    return new Promise((resolve) => {
      (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!.call(
        client,
        request,
        metadata,
        // Longer than the JWKS refresh window (5 s): a verifier meeting an unknown kid may
        // wait for the next refresh before it refuses (see jwks-cache.ts).
        { deadline: Date.now() + 8_000 },
        (error: grpc.ServiceError | null, response: unknown) =>
          resolve(
            error
              ? { code: error.code, details: error.details, response: undefined }
              : { code: grpc.status.OK, details: '', response },
          ),
      );
    });
  };
  // Each method by the name ts-proto gives it (`createOrder`, grpc-js's `originalName`).
  const rpc: Record<
    string,
    (request: object, jwt?: string | grpc.Metadata) => Promise<GrpcOutcome>
  > = {};
  for (const [name, definition] of Object.entries(Ctor.service)) {
    rpc[definition.originalName ?? name] = (request, jwt) => call(name, request, jwt);
  }
  return {
    rpc: rpc as unknown as OutcomeClient<S>,
    close: () => client.close(),
  };
}

/** One call of `target`'s contract through a fresh client holding `as`, closed after it. */
export async function probe<S extends ContractName, Res>(
  target: S,
  as: Credentials,
  call: (rpc: OutcomeClient<S>) => Promise<GrpcOutcome<Res>>,
): Promise<GrpcOutcome<Res>> {
  const client = grpcClient(target, as);
  try {
    return await call(client.rpc);
  } finally {
    client.close();
  }
}

/** An internal JWT exactly as the gateway would obtain it (the test holds gateway's cert). */
export async function internalJwtFor(accessToken: string, audience: string): Promise<string> {
  const auth = grpcClient('auth', 'gateway');
  try {
    const outcome = await auth.rpc.exchangeToken({ access_token: accessToken, audience });
    if (outcome.code !== grpc.status.OK) throw new Error(`exchange failed: ${outcome.details}`);
    return outcome.response.jwt;
  } finally {
    auth.close();
  }
}
