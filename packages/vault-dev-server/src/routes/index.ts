import { approleRoute } from './approle.routes.js';
import { kvRoute } from './kv.routes.js';
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
    return approleRoute(context, mount, method, path.slice('auth/'.length + mount.length));
  }
  const found = longestMount(secretEngines, path);
  if (!found) return undefined;
  const [mount, engine] = found;
  return kvRoute(context, engine, path.slice(mount.length));
}
