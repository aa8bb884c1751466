/**
 * A secret could not be had. The message names the Vault path and the reason (status,
 * Vault's own error text, or the network failure), never a secret value.
 */
export class SecretsError extends Error {
  override name = 'SecretsError';
  constructor(
    readonly path: string,
    readonly reason: string,
    /** HTTP status from Vault; undefined when Vault could not be reached at all. */
    readonly status?: number,
  ) {
    super(`vault: ${path}: ${reason}`);
  }

  /** Vault answered and refused (403): this identity may not have the secret. */
  get denied(): boolean {
    return this.status === 403;
  }

  /** Vault did not answer: a network failure or a server error. */
  get unreachable(): boolean {
    return this.status === undefined || this.status >= 500;
  }
}

interface NodeVaultError {
  message?: string;
  code?: string;
  response?: { statusCode?: number; body?: { errors?: string[] } };
}

/** Turns whatever node-vault threw into a SecretsError for `path`, dropping any payload. */
export function secretsError(path: string, error: unknown): SecretsError {
  if (error instanceof SecretsError) return error;
  const e = (error ?? {}) as NodeVaultError;
  const status = e.response?.statusCode;
  if (status !== undefined) {
    const text = (e.response?.body?.errors ?? []).join('; ').replace(/\s+/g, ' ').trim();
    const reason = text || (status === 404 ? 'not found' : `HTTP ${status}`);
    return new SecretsError(path, `${reason} (HTTP ${status})`, status);
  }
  return new SecretsError(path, `unreachable: ${e.code ?? e.message ?? String(error)}`);
}
