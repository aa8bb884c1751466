import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { serviceClientConstructor, type ContractName } from '@citadel/contracts';
import { pkiPaths, type ServiceName } from '@citadel/config';
import { e2eState } from './state.js';

export interface GrpcOutcome {
  code: grpc.status;
  details: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  response?: any;
}

/** An attacker's credentials, or the certificate of any service of the registry. */
type Credentials = 'plaintext' | 'no-client-cert' | 'foreign-ca' | 'analytics' | ServiceName;

/**
 * A raw gRPC client to one Citadel service, holding whatever credentials an attacker
 * (or a legitimate peer) has. Calls resolve to their status instead of throwing.
 */
export function grpcClient(target: ContractName, as: Credentials) {
  const state = e2eState();
  const pki = pkiPaths(state.home);
  const read = (file: string) => fs.readFileSync(file);
  const citadelCa = read(pki.caCert);
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
      credentials = grpc.credentials.createSsl(citadelCa, read(pki.key(as)), read(pki.cert(as)));
  }
  const Ctor = serviceClientConstructor(target);
  const client = new Ctor(`127.0.0.1:${state.ports[target]}`, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
    // Fail fast: a refused handshake should surface as UNAVAILABLE, not a retry loop.
    'grpc.initial_reconnect_backoff_ms': 100,
  });
  return {
    call(method: string, request: object, jwt?: string): Promise<GrpcOutcome> {
      const metadata = new grpc.Metadata();
      if (jwt) metadata.set('authorization', `Bearer ${jwt}`);
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
                ? { code: error.code, details: error.details }
                : { code: grpc.status.OK, details: '', response },
            ),
        );
      });
    },
    close: () => client.close(),
  };
}

/** An internal JWT exactly as the gateway would obtain it (the test holds gateway's cert). */
export async function internalJwtFor(accessToken: string, audience: string): Promise<string> {
  const auth = grpcClient('auth', 'gateway');
  try {
    const outcome = await auth.call('ExchangeToken', { access_token: accessToken, audience });
    if (outcome.code !== grpc.status.OK) throw new Error(`exchange failed: ${outcome.details}`);
    return outcome.response.jwt;
  } finally {
    auth.close();
  }
}
