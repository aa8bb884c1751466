import { randomUUID } from 'node:crypto';

/** What a handler answers: an HTTP status and, unless it is 204, a JSON body. */
export interface VaultReply {
  status: number;
  body?: unknown;
  /** A raw (non-JSON) body of this type, e.g. PKI's `ca/pem`; `body` is then its text. */
  contentType?: string;
}

/** A failure with Vault's error body `{"errors": [...]}`. */
export class VaultError extends Error {
  override name = 'VaultError';
  constructor(
    readonly status: number,
    readonly errors: string[],
  ) {
    super(errors.join('; ') || `HTTP ${status}`);
  }
}

export const badRequest = (message: string) => new VaultError(400, [message]);

/** Vault answers a missing secret, version or role with 404 and an empty error list. */
export const notFound = () => new VaultError(404, []);

/** A missing, unknown or expired token. */
export const invalidToken = () => new VaultError(403, ['permission denied']);

/** An ACL refusal, in the exact (multierror) words Vault uses. */
export const aclDenied = () =>
  new VaultError(403, ['1 error occurred:\n\t* permission denied\n\n']);

export const noHandler = (path: string) =>
  new VaultError(404, [`no handler for route "${path}". route entry not found.`]);

export const unsupportedOperation = () =>
  new VaultError(405, ['1 error occurred:\n\t* unsupported operation\n\n']);

export const noContent: VaultReply = { status: 204 };

/** Vault's response envelope: every 200 carries all of these fields. */
export function envelope(fields: { data?: unknown; auth?: unknown; warnings?: string[] }) {
  return {
    request_id: randomUUID(),
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: fields.data ?? null,
    wrap_info: null,
    warnings: fields.warnings?.length ? fields.warnings : null,
    auth: fields.auth ?? null,
  };
}

export function ok(fields: { data?: unknown; auth?: unknown; warnings?: string[] }): VaultReply {
  return { status: 200, body: envelope(fields) };
}
