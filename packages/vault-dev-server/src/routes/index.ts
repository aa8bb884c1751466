import type { AuditMount } from '../audit.js';
import { approleRoute } from './approle.routes.js';
import { databaseRoute } from './database.routes.js';
import { kubernetesRoute } from './kubernetes.routes.js';
import { kvRoute } from './kv.routes.js';
import { pkiRoute } from './pki.routes.js';
import type { DevServerContext, Route } from './route.js';
import { sysRoute } from './sys.routes.js';
import { tokenRoute } from './token.routes.js';

export type { DevServerContext, Handler, Route, VaultRequest } from './route.js';

/** The mount whose path is the longest prefix of `path`, as Vault's router picks it. */
function longestMount<T>(mounts: Record<string, T>, path: string): [string, T] | undefined {
  let best: [string, T] | undefined;
  for (const [mount, value] of Object.entries(mounts)) {
    if (path.startsWith(mount) && (!best || mount.length > best[0].length)) best = [mount, value];
  }
  return best;
}

/** Finds the route for a request path (after `/v1/`); `undefined` when nothing serves it. */
export function resolveRoute(context: DevServerContext, path: string): Route | undefined {
  if (path.startsWith('sys/')) return sysRoute(context, path);
  if (path.startsWith('auth/token/')) return tokenRoute(context, path);
  const { authMethods, secretEngines } = context.store.state;
  if (path.startsWith('auth/')) {
    const found = longestMount(authMethods, path.slice('auth/'.length));
    if (!found) return undefined;
    const [mount, method] = found;
    const rest = path.slice('auth/'.length + mount.length);
    if (method.type === 'kubernetes') return kubernetesRoute(context, mount, method, rest);
    return approleRoute(context, mount, method, rest);
  }
  const found = longestMount(secretEngines, path);
  if (!found) return undefined;
  const [mount, engine] = found;
  if (engine.type === 'pki') return pkiRoute(context, engine, path.slice(mount.length));
  if (engine.type === 'database') return databaseRoute(context, engine, path.slice(mount.length));
  if (engine.type === 'kv') return kvRoute(context, engine, path.slice(mount.length));
  return undefined;
}

/** The mount a request path lands on, as Vault names it in each audit entry. */
export function mountOf(context: DevServerContext, path: string): AuditMount | undefined {
  if (path.startsWith('sys/')) {
    return { point: 'sys/', type: 'system', accessor: 'system_00000000' };
  }
  if (path.startsWith('auth/token/')) {
    return { point: 'auth/token/', type: 'token', accessor: 'auth_token_00000000' };
  }
  const { authMethods, secretEngines } = context.store.state;
  if (path.startsWith('auth/')) {
    const found = longestMount(authMethods, path.slice('auth/'.length));
    return found && { point: `auth/${found[0]}`, type: found[1].type, accessor: found[1].accessor };
  }
  const found = longestMount(secretEngines, path);
  return found && { point: found[0], type: found[1].type, accessor: found[1].accessor };
}
