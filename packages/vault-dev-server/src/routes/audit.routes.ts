import { dict, type Dict } from '../store.js';
import { badRequest, envelope, noContent, ok, type VaultReply } from '../vault-response.js';
import { optionalString } from './fields.js';
import type { DevServerContext, Route } from './route.js';

/** `file`, `/file/`, `file/` → `file/`, as Vault's `enableAudit` stores the path. */
function devicePath(raw: string): string {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' || trimmed.split('/').some((segment) => segment === '')) {
    throw badRequest('backend path must be specified');
  }
  return `${trimmed}/`;
}

/**
 * Vault's `options` is a `map[string]string` decoded weakly: numbers and booleans become
 * strings, anything else is refused.
 */
function stringOptions(raw: unknown): Dict<string> {
  const options = dict<string>();
  if (raw === undefined || raw === null) return options;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('"options" must be a map');
  for (const [key, value] of Object.entries(raw)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw badRequest('options must be string valued');
    }
    options[key] = String(value);
  }
  return options;
}

/** `GET sys/audit`: the table both at the top level and in `data`, as Vault answers it. */
function listDevices(context: DevServerContext): Route {
  return {
    sudo: true,
    read: (): VaultReply => {
      const table = context.audit.list();
      return { status: 200, body: { ...table, ...envelope({ data: table }) } };
    },
  };
}

/** `PUT|POST sys/audit/<path>` enables a device; `DELETE` disables it. Root-protected. */
function device(context: DevServerContext, rawPath: string): Route {
  return {
    sudo: true,
    write: ({ body }) => {
      const local = body['local'];
      if (local !== undefined && typeof local !== 'boolean') {
        throw badRequest('"local" must be a boolean');
      }
      const mountPath = devicePath(rawPath);
      context.audit.enable(mountPath, {
        type: optionalString(body, 'type') ?? '',
        description: optionalString(body, 'description') ?? '',
        options: stringOptions(body['options']),
        local: local ?? false,
      });
      context.log({
        level: 'info',
        event: 'audit.enabled',
        msg: `audit device enabled at ${mountPath}`,
        path: mountPath,
      });
      return noContent;
    },
    delete: () => {
      const mountPath = devicePath(rawPath);
      if (context.audit.disable(mountPath)) {
        context.log({
          level: 'warn',
          event: 'audit.disabled',
          msg: `audit device disabled at ${mountPath}`,
          path: mountPath,
        });
      }
      return noContent;
    },
  };
}

/** `POST sys/audit-hash/<path>` `{input}`: the hash a device writes for a known value. */
function auditHash(context: DevServerContext, rawPath: string): Route {
  return {
    write: ({ body }) => {
      const input = optionalString(body, 'input');
      if (!input) throw badRequest('the "input" parameter is empty');
      return ok({ data: { hash: context.audit.hash(devicePath(rawPath), input) } });
    },
  };
}

/**
 * Vault's `sys/audit` endpoints (list, enable, disable: root-protected, so a token needs
 * `sudo` on the path) and `sys/audit-hash/<path>` (which needs only `update`).
 */
export function auditRoute(context: DevServerContext, path: string): Route | undefined {
  if (path === 'sys/audit' || path === 'sys/audit/') return listDevices(context);
  if (path.startsWith('sys/audit/')) return device(context, path.slice('sys/audit/'.length));
  if (path.startsWith('sys/audit-hash/')) {
    return auditHash(context, path.slice('sys/audit-hash/'.length));
  }
  return undefined;
}
