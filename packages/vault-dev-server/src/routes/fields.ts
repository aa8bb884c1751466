import { DurationError, parseDuration } from '../durations.js';
import type { Dict } from '../store.js';
import { badRequest } from '../vault-response.js';

/** Request-body readers that answer a malformed field with Vault's 400. */

/** A list as Vault's `TypeCommaStringSlice` takes it: an array of strings, or one comma-separated string. */
export function commaListField(body: Dict<unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw badRequest(`"${field}" must be a list of strings`);
  }
  return items.map((item: string) => item.trim()).filter(Boolean);
}

/** A `TypeBool`: a JSON boolean, or "true"/"1"/"false"/"0". */
export function booleanField(body: Dict<unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badRequest(`"${field}" must be a boolean`);
}

export function optionalString(body: Dict<unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`"${field}" must be a string`);
  return value;
}

export function durationField(body: Dict<unknown>, field: string): number | undefined {
  if (body[field] === undefined) return undefined;
  try {
    return parseDuration(body[field]);
  } catch (error) {
    if (error instanceof DurationError) throw badRequest(`"${field}": ${error.message}`);
    throw error;
  }
}

export function countField(body: Dict<unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw badRequest(`"${field}" must be a non-negative integer`);
  }
  return count;
}

/** A policy list as Vault takes it: an array or a comma-separated string, names lower-cased. */
export function policyListField(body: Dict<unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw badRequest(`"${field}" must be a list of policy names`);
  }
  const names = items.map((item: string) => item.trim().toLowerCase()).filter(Boolean);
  return [...new Set(names)].sort();
}

/**
 * Vault ignores body fields an endpoint does not know (node-vault, for one, sends its own
 * `role_name` and `mount_point` along). Restrictions the dev server does not implement are
 * another matter: ignoring one would grant more than its author meant, so they are refused.
 */
export function refuseUnsupportedRestrictions(
  body: Dict<unknown>,
  fields: readonly string[],
): void {
  const set = fields.filter((field) => {
    const value = body[field];
    const empty = Array.isArray(value) && value.length === 0;
    return !(
      value === undefined ||
      value === null ||
      value === '' ||
      value === 0 ||
      value === '0' ||
      value === false ||
      empty
    );
  });
  if (set.length > 0) {
    throw badRequest(`vault-dev-server does not implement these restrictions: ${set.join(', ')}`);
  }
}
