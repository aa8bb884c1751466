import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { assertLoopbackHost } from './loopback.js';

/**
 * A stand-in for the two parts of the Kubernetes API that Vault's Kubernetes auth relies on,
 * so that login can be exercised without a cluster: projected service-account tokens (what
 * kubelet mounts into a pod, signed ES256 by the "API server"'s key) and the TokenReview API
 * (`POST /apis/authentication.k8s.io/v1/tokenreviews`), which says whether a token is still
 * valid and whose it is. Loopback, plain HTTP; for tests and local experiments only.
 */
export interface KubernetesStandIn {
  /** The API server's base URL: Vault's `kubernetes_host`. */
  url: string;
  /** PEM (SPKI) of the key that signs every token: Vault's `pem_keys`. */
  publicKeyPem: string;
  /** The `iss` of every token. */
  issuer: string;
  /** A projected token for `serviceAccount` in `namespace`, as kubelet writes it to a pod. */
  token(options: ServiceAccountTokenOptions): Promise<string>;
  /** Deletes the service account: its tokens fail review from now on, unexpired or not. */
  deleteServiceAccount(namespace: string, serviceAccount: string): void;
  /** How many TokenReviews were asked for. */
  readonly reviews: number;
  close(): Promise<void>;
}

export interface ServiceAccountTokenOptions {
  namespace: string;
  serviceAccount: string;
  /** `expirationSeconds` of the projected volume; Kubernetes' default is 3600. */
  expiresInS?: number;
  audience?: string | string[];
  /** Issue time (epoch ms), for a test that runs on its own clock. */
  issuedAt?: number;
}

export async function startKubernetesStandIn(
  options: { host?: string; issuer?: string; now?: () => number } = {},
): Promise<KubernetesStandIn> {
  const host = options.host ?? '127.0.0.1';
  assertLoopbackHost(host);
  const now = options.now ?? Date.now;
  const issuer = options.issuer ?? 'https://kubernetes.default.svc.cluster.local';
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicKeyPem = await exportSPKI(publicKey as CryptoKey);
  /** `<namespace>/<name>` → uid; an account gets a new uid when it is created again. */
  const accounts = new Map<string, string>();
  let reviews = 0;

  const uidOf = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    if (!accounts.has(key)) accounts.set(key, randomUUID());
    return accounts.get(key)!;
  };

  const token = async ({
    namespace,
    serviceAccount,
    expiresInS = 3600,
    audience = 'https://kubernetes.default.svc.cluster.local',
    issuedAt = now(),
  }: ServiceAccountTokenOptions) => {
    const iat = Math.floor(issuedAt / 1000);
    return new SignJWT({
      'kubernetes.io': {
        namespace,
        pod: { name: `${serviceAccount}-0`, uid: randomUUID() },
        serviceaccount: { name: serviceAccount, uid: uidOf(namespace, serviceAccount) },
      },
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'stand-in' })
      .setIssuer(issuer)
      .setSubject(`system:serviceaccount:${namespace}:${serviceAccount}`)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + expiresInS)
      .sign(privateKey);
  };

  /** The account a token names, if the token is genuine, current, for `audiences`, and alive. */
  const authenticate = async (jwt: string, audiences?: string[]) => {
    const { payload } = await jwtVerify(jwt, publicKey, {
      issuer,
      algorithms: ['ES256'],
      currentDate: new Date(now()),
      ...(audiences?.length ? { audience: audiences } : {}),
    });
    const claim = payload['kubernetes.io'] as {
      namespace: string;
      serviceaccount: { name: string; uid: string };
    };
    const { namespace, serviceaccount } = claim;
    if (accounts.get(`${namespace}/${serviceaccount.name}`) !== serviceaccount.uid) {
      throw new Error('service account deleted');
    }
    return { namespace, name: serviceaccount.name, uid: serviceaccount.uid };
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void (async () => {
        const answer = (status: number, body: unknown) => {
          response.writeHead(status, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify(body));
        };
        if (
          request.method !== 'POST' ||
          request.url !== '/apis/authentication.k8s.io/v1/tokenreviews'
        ) {
          answer(404, { kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound' });
          return;
        }
        // The caller itself must hold a valid token (Vault's reviewer, or the token under review).
        const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
        try {
          if (!bearer) throw new Error('no bearer token');
          await authenticate(bearer);
        } catch {
          answer(401, { kind: 'Status', status: 'Failure', code: 401, reason: 'Unauthorized' });
          return;
        }
        reviews++;
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          spec: { token: string; audiences?: string[] };
        };
        try {
          const account = await authenticate(review.spec.token, review.spec.audiences);
          answer(201, {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            status: {
              authenticated: true,
              audiences: review.spec.audiences ?? [],
              user: {
                username: `system:serviceaccount:${account.namespace}:${account.name}`,
                uid: account.uid,
                groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`],
              },
            },
          });
        } catch (error) {
          answer(201, {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            status: { authenticated: false, error: (error as Error).message, user: {} },
          });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    publicKeyPem,
    issuer,
    token,
    deleteServiceAccount: (namespace, name) => {
      accounts.delete(`${namespace}/${name}`);
    },
    get reviews() {
      return reviews;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
