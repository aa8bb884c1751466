import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https, { type RequestOptions } from 'node:https';
import { compactVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import {
  dict,
  type Dict,
  type KubernetesAuthConfig,
  type KubernetesAuthMethod,
  type KubernetesRole,
} from '../store.js';
import { issueToken, SYSTEM_MAX_TTL } from '../tokens.js';
import { badRequest, noContent, notFound, ok, VaultError } from '../vault-response.js';
import {
  booleanField,
  commaListField,
  durationField,
  optionalString,
  policyListField,
  refuseUnsupportedRestrictions,
} from './fields.js';
import type { DevServerContext, Route } from './route.js';
import { authBlock } from './token.routes.js';

/**
 * Vault's Kubernetes auth method (vault-plugin-auth-kubernetes), for what Citadel uses: a pod
 * presents its projected service-account token, Vault checks it and answers with a token of
 * the role's policies. As the plugin does:
 *   1. the JWT is parsed; with `pem_keys` configured its signature is verified against them
 *      (otherwise it is not verified here, and the TokenReview below is what vouches for it);
 *   2. `iss` (when validation is on), the role's `audience`, and `exp`/`nbf`/`iat` (60 s of
 *      clock skew) are checked, then the service account's name and namespace against the
 *      role's bindings (globs);
 *   3. always, the TokenReview API at `kubernetes_host` is asked whether the token is still
 *      valid (its pod and service account still exist), and must name the same account.
 * Refusals are 403s in Vault's words; a bad signature and a failed review are a bare
 * "permission denied".
 */

/** The JWS algorithms Kubernetes signs service-account tokens with (and the plugin accepts). */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
];

/** go-jose's default leeway for `exp`, `nbf` and `iat`, which the plugin's validator uses. */
const CLOCK_SKEW_S = 60;
/** cap/jwt's leeway for a token with `iat` or `nbf` but no `exp`. */
const MISSING_EXP_LEEWAY_S = 150;

const ROLE_RESTRICTIONS = [
  'bound_cidrs',
  'token_bound_cidrs',
  'token_explicit_max_ttl',
  'token_no_default_policy',
  'token_num_uses',
  'bound_service_account_namespace_selector',
];

const forbidden = (message: string) => new VaultError(403, [message]);
const permissionDenied = () => forbidden('permission denied');

/** go-glob, as strutil.StrListContainsGlob uses it: `*` matches any run of characters. */
export function globMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || value.length < first.length + last.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found < 0) return false;
    at = found + middle.length;
  }
  return value.length - last.length >= at && value.endsWith(last);
}

/** An RSA or ECDSA public key, from a PEM key or certificate (path_config.go parsePublicKeyPEM). */
function publicKeyOf(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = pem.includes('BEGIN CERTIFICATE')
      ? new X509Certificate(pem).publicKey
      : createPublicKey(pem);
  } catch {
    throw badRequest('data does not contain any valid RSA or ECDSA public keys');
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw badRequest('data does not contain any valid RSA or ECDSA public keys');
  }
  return key;
}

function writeConfig(method: KubernetesAuthMethod): Route {
  return {
    exists: () => method.config !== null,
    read: () => {
      const config = method.config;
      if (!config) return ok({ data: null });
      // The reviewer JWT is a credential: stored, never read back.
      return ok({
        data: {
          kubernetes_host: config.kubernetesHost,
          kubernetes_ca_cert: config.kubernetesCaCert,
          pem_keys: config.pemKeys,
          issuer: config.issuer,
          disable_iss_validation: config.disableIssValidation,
          disable_local_ca_jwt: false,
        },
      });
    },
    // As in Vault, a write replaces the whole configuration: a field left out is reset.
    write: ({ body }) => {
      const host = optionalString(body, 'kubernetes_host');
      if (!host) throw badRequest('no host provided');
      const pemKeys = commaListField(body, 'pem_keys') ?? [];
      // Each is parsed now, so a bad key is refused when written, not at the first login.
      pemKeys.forEach(publicKeyOf);
      const tokenReviewerJwt = optionalString(body, 'token_reviewer_jwt') ?? '';
      if (tokenReviewerJwt) {
        try {
          decodeJwt(tokenReviewerJwt);
        } catch (error) {
          throw badRequest(`token_reviewer_jwt: ${(error as Error).message}`);
        }
      }
      const config: KubernetesAuthConfig = {
        kubernetesHost: host,
        kubernetesCaCert: optionalString(body, 'kubernetes_ca_cert') ?? '',
        pemKeys,
        issuer: optionalString(body, 'issuer') ?? '',
        disableIssValidation: booleanField(body, 'disable_iss_validation') ?? true,
        tokenReviewerJwt,
      };
      method.config = config;
      return noContent;
    },
  };
}

function role(method: KubernetesAuthMethod, name: string): Route {
  return {
    exists: () => method.roles[name] !== undefined,
    read: () => {
      const found = method.roles[name];
      if (!found) throw notFound();
      return ok({
        data: {
          bound_service_account_names: found.boundServiceAccountNames,
          bound_service_account_namespaces: found.boundServiceAccountNamespaces,
          audience: found.audience,
          token_policies: found.tokenPolicies,
          token_ttl: found.tokenTtl,
          token_max_ttl: found.tokenMaxTtl,
          token_period: found.tokenPeriod,
        },
      });
    },
    // A write changes only the fields it names, as in Vault.
    write: ({ body }) => {
      refuseUnsupportedRestrictions(body, ROLE_RESTRICTIONS);
      const current: KubernetesRole = method.roles[name] ?? {
        boundServiceAccountNames: [],
        boundServiceAccountNamespaces: [],
        audience: '',
        tokenPolicies: [],
        tokenTtl: 0,
        tokenMaxTtl: 0,
        tokenPeriod: 0,
      };
      const updated: KubernetesRole = {
        boundServiceAccountNames:
          commaListField(body, 'bound_service_account_names') ?? current.boundServiceAccountNames,
        boundServiceAccountNamespaces:
          commaListField(body, 'bound_service_account_namespaces') ??
          current.boundServiceAccountNamespaces,
        audience: optionalString(body, 'audience') ?? current.audience,
        tokenPolicies:
          policyListField(body, 'token_policies') ??
          policyListField(body, 'policies') ??
          current.tokenPolicies,
        tokenTtl:
          durationField(body, 'token_ttl') ?? durationField(body, 'ttl') ?? current.tokenTtl,
        tokenMaxTtl:
          durationField(body, 'token_max_ttl') ??
          durationField(body, 'max_ttl') ??
          current.tokenMaxTtl,
        tokenPeriod:
          durationField(body, 'token_period') ??
          durationField(body, 'period') ??
          current.tokenPeriod,
      };
      if (updated.tokenPeriod > SYSTEM_MAX_TTL) {
        throw badRequest("token period is greater than the backend's maximum lease TTL");
      }
      if (updated.tokenMaxTtl > 0 && updated.tokenTtl > updated.tokenMaxTtl) {
        throw badRequest('token ttl should not be greater than token max ttl');
      }
      const names = updated.boundServiceAccountNames;
      if (names.length === 0) throw badRequest('"bound_service_account_names" can not be empty');
      if (names.length > 1 && names.includes('*')) throw badRequest('can not mix "*" with values');
      const namespaces = updated.boundServiceAccountNamespaces;
      if (namespaces.length === 0) {
        throw badRequest(
          '"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set',
        );
      }
      if (namespaces.length > 1 && namespaces.includes('*')) {
        throw badRequest('can not mix "*" with values');
      }
      // A stolen service-account token must never be worth a root token.
      if (updated.tokenPolicies.includes('root')) {
        throw badRequest('auth methods cannot create root tokens');
      }
      method.roles[name] = updated;
      if (!updated.audience.trim()) {
        return ok({
          warnings: [
            'This role does not specify an audience. In a future version of Vault, specifying an audience will be required.',
          ],
        });
      }
      return noContent;
    },
    delete: () => {
      delete method.roles[name];
      return noContent;
    },
  };
}

/** The service account a token names: projected (`kubernetes.io` claim) or legacy claims. */
interface ServiceAccountClaims {
  name: string;
  namespace: string;
  uid: string;
  audiences: string[];
}

function serviceAccountOf(claims: Dict<unknown>): ServiceAccountClaims {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const projected = claims['kubernetes.io'] as
    { namespace?: unknown; serviceaccount?: { name?: unknown; uid?: unknown } } | undefined;
  const aud = claims['aud'];
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.map(text) : [];
  if (projected && typeof projected === 'object') {
    return {
      name: text(projected.serviceaccount?.name),
      namespace: text(projected.namespace),
      uid: text(projected.serviceaccount?.uid),
      audiences,
    };
  }
  return {
    name: text(claims['kubernetes.io/serviceaccount/service-account.name']),
    namespace: text(claims['kubernetes.io/serviceaccount/namespace']),
    uid: text(claims['kubernetes.io/serviceaccount/service-account.uid']),
    audiences,
  };
}

/** The claims, signature-checked against `pem_keys` when there are any (parseAndValidateJWT). */
async function verifiedClaims(jwt: string, config: KubernetesAuthConfig): Promise<Dict<unknown>> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(jwt).alg;
  } catch {
    throw permissionDenied();
  }
  if (!alg || !ALGORITHMS.includes(alg)) throw permissionDenied();
  if (config.pemKeys.length > 0) {
    for (const pem of config.pemKeys) {
      try {
        await compactVerify(jwt, publicKeyOf(pem), { algorithms: ALGORITHMS });
        return Object.assign(dict<unknown>(), decodeJwt(jwt));
      } catch (error) {
        if (!(error instanceof joseErrors.JOSEError) && !(error instanceof VaultError)) {
          throw error;
        }
      }
    }
    throw permissionDenied();
  }
  try {
    return Object.assign(dict<unknown>(), decodeJwt(jwt));
  } catch {
    throw permissionDenied();
  }
}

/** cap/jwt's time checks (ValidateAllowMissingIatNbfExp), on the server's clock. */
function assertCurrent(claims: Dict<unknown>, nowMs: number): void {
  const seconds = (name: string) => {
    const value = claims[name];
    return typeof value === 'number' ? value : 0;
  };
  const iat = seconds('iat');
  let exp = seconds('exp');
  let nbf = seconds('nbf');
  if (iat === 0 && exp === 0 && nbf === 0) return;
  if (exp === 0) exp = Math.max(iat, nbf) + MISSING_EXP_LEEWAY_S;
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - MISSING_EXP_LEEWAY_S;
  const now = nowMs / 1000;
  if (now + CLOCK_SKEW_S < nbf)
    throw forbidden('invalid not before (nbf) claim: token not yet valid');
  if (now - CLOCK_SKEW_S > exp) {
    throw forbidden('invalid expiration time (exp) claim: token is expired');
  }
  if (now + CLOCK_SKEW_S < iat) {
    throw forbidden('invalid issued at (iat) claim: token issued in the future');
  }
}

/** `https://` is assumed when `kubernetes_host` is a bare host or host:port, as Vault does. */
function apiUrl(host: string, path: string): URL {
  const base = /^https?:\/\//.test(host) ? host : `https://${host}`;
  return new URL(`${base.replace(/\/$/, '')}${path}`);
}

/**
 * The TokenReview API (token_review.go): is this token still valid, and whose is it? Any
 * failure (network, HTTP error, not authenticated, not a service account) is a reason to
 * refuse, returned as a string for the log.
 */
async function reviewToken(
  config: KubernetesAuthConfig,
  jwt: string,
  audiences: string[],
): Promise<{ name: string; namespace: string; uid: string } | string> {
  const url = apiUrl(config.kubernetesHost, '/apis/authentication.k8s.io/v1/tokenreviews');
  const payload = JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token: jwt, audiences },
  });
  const answer = await new Promise<{ status: number; body: string } | string>((resolve) => {
    const options: RequestOptions = {
      method: 'POST',
      timeout: 10_000,
      headers: {
        // The reviewer's own token when configured; otherwise the token under review.
        Authorization: `Bearer ${config.tokenReviewerJwt || jwt}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      ...(config.kubernetesCaCert && { ca: config.kubernetesCaCert, minVersion: 'TLSv1.2' }),
    };
    const request = (url.protocol === 'http:' ? http : https).request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', (error) => resolve(`lookup failed: ${error.message}`));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve(`lookup failed: ${error.message}`));
    request.end(payload);
  });
  if (typeof answer === 'string') return answer;
  if (answer.status === 401) {
    return 'lookup failed: service account unauthorized; this could mean it has been deleted or recreated with a new token';
  }
  if (answer.status < 200 || answer.status > 206) return `lookup failed: HTTP ${answer.status}`;
  let review: {
    status?: {
      authenticated?: boolean;
      error?: string;
      user?: { username?: string; uid?: string };
    };
  };
  try {
    review = JSON.parse(answer.body) as typeof review;
  } catch {
    return 'lookup failed: unreadable TokenReview';
  }
  if (review.status?.error) return `lookup failed: ${review.status.error}`;
  if (!review.status?.authenticated) return 'lookup failed: service account jwt not valid';
  const parts = (review.status.user?.username ?? '').split(':');
  if (parts.length !== 4) return 'lookup failed: unexpected username format';
  if (parts[0] !== 'system' || parts[1] !== 'serviceaccount') {
    return 'lookup failed: username returned is not a service account';
  }
  return { namespace: parts[2]!, name: parts[3]!, uid: review.status.user?.uid ?? '' };
}

function login(context: DevServerContext, mount: string, method: KubernetesAuthMethod): Route {
  return {
    unauthenticated: true,
    write: async ({ body }) => {
      const roleName = optionalString(body, 'role')?.toLowerCase();
      if (!roleName) throw badRequest('missing role');
      const jwt = optionalString(body, 'jwt');
      if (!jwt) throw badRequest('missing jwt');
      const found = method.roles[roleName];
      if (!found) throw badRequest(`invalid role name "${roleName}"`);
      const config = method.config;
      if (!config) throw new VaultError(500, ['could not load backend configuration']);
      const refuse = (error: VaultError, reason: string, account?: ServiceAccountClaims) => {
        context.log({
          level: 'warn',
          event: 'kubernetes.login-failed',
          msg: `Kubernetes login refused: ${reason}`,
          mount: `auth/${mount}`,
          role: roleName,
          ...(account && {
            service_account_name: account.name,
            service_account_namespace: account.namespace,
          }),
        });
        return error;
      };

      let claims: Dict<unknown>;
      try {
        claims = await verifiedClaims(jwt, config);
      } catch (error) {
        if (error instanceof VaultError) throw refuse(error, 'signature not verified');
        throw error;
      }
      const account = serviceAccountOf(claims);
      try {
        if (!config.disableIssValidation && config.issuer && claims['iss'] !== config.issuer) {
          throw forbidden('invalid issuer (iss) claim');
        }
        if (found.audience.trim() && !account.audiences.includes(found.audience)) {
          throw forbidden(
            'invalid audience (aud) claim: audience claim does not match any expected audience',
          );
        }
        assertCurrent(claims, context.now());
        const names = found.boundServiceAccountNames;
        if (
          !(names.length === 1 && names[0] === '*') &&
          !names.some((pattern) => globMatches(pattern, account.name))
        ) {
          throw forbidden('service account name not authorized');
        }
        const namespaces = found.boundServiceAccountNamespaces;
        if (!(
          namespaces[0] === '*' ||
          namespaces.some((pattern) => globMatches(pattern, account.namespace))
        )) {
          throw forbidden('namespace not authorized');
        }
        if (!account.uid) throw new VaultError(500, ['could not parse UID from claims']);
      } catch (error) {
        if (error instanceof VaultError) throw refuse(error, error.errors.join('; '), account);
        throw error;
      }

      // Always, pem_keys or not: the cluster says whether the token (its pod, its account)
      // is still valid, so a deleted pod's token stops working before it expires.
      const reviewed = await reviewToken(
        config,
        jwt,
        found.audience ? [found.audience] : account.audiences,
      );
      if (typeof reviewed === 'string') throw refuse(permissionDenied(), reviewed, account);
      const mismatch =
        reviewed.name !== account.name
          ? 'JWT names did not match'
          : reviewed.uid !== account.uid
            ? 'JWT UIDs did not match'
            : reviewed.namespace !== account.namespace
              ? 'JWT namespaces did not match'
              : undefined;
      if (mismatch) throw refuse(permissionDenied(), mismatch, account);

      const maxTtl = Math.min(found.tokenMaxTtl || SYSTEM_MAX_TTL, SYSTEM_MAX_TTL);
      const policies = [...new Set(['default', ...found.tokenPolicies])].sort();
      const meta = Object.assign(dict<string>(), {
        role: roleName,
        service_account_name: account.name,
        service_account_namespace: account.namespace,
        service_account_secret_name: '',
        service_account_uid: account.uid,
      });
      const { token, entry } = issueToken(
        context.store.state.tokens,
        {
          policies,
          meta,
          displayName: `${mount.replace(/\/$/, '')}-${account.namespace}-${account.name}`,
          path: `auth/${mount}login`,
          ttl: found.tokenTtl || maxTtl,
          maxTtl,
          period: Math.min(found.tokenPeriod, maxTtl),
        },
        context.now(),
      );
      return ok({ auth: authBlock(token, entry, entry.creationTtl) });
    },
  };
}

/** The Kubernetes auth endpoints Citadel uses, under a method mounted at `auth/<mount>`. */
export function kubernetesRoute(
  context: DevServerContext,
  mount: string,
  method: KubernetesAuthMethod,
  rest: string,
): Route | undefined {
  if (rest === 'login') return login(context, mount, method);
  if (rest === 'config') return writeConfig(method);
  const name = /^role\/([\w.@-]+)$/.exec(rest)?.[1];
  // Vault stores role names lower-cased.
  if (name) return role(method, name.toLowerCase());
  return undefined;
}
