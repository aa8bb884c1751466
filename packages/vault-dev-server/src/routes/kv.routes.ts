import { dict, type Dict, type KvSecret, type KvEngine } from '../store.js';
import { badRequest, noContent, notFound, ok } from '../vault-response.js';
import type { DevServerContext, Route } from './route.js';

/** Vault's KV v2 keeps 10 versions of a key unless configured otherwise. */
const MAX_VERSIONS = 10;

function versionMetadata(secret: KvSecret, version: number) {
  return {
    created_time: secret.versions[version]!.createdTime,
    custom_metadata: null,
    deletion_time: '',
    destroyed: false,
    version,
  };
}

function readData(engine: KvEngine, key: string): Route {
  return {
    read: ({ query }) => {
      const secret = engine.secrets[key];
      const requested = query.get('version');
      if (requested !== null && !/^\d+$/.test(requested)) {
        throw badRequest(`invalid version "${requested}"`);
      }
      const version = requested && requested !== '0' ? Number(requested) : secret?.currentVersion;
      const stored = version === undefined ? undefined : secret?.versions[version];
      if (!secret || !stored || version === undefined) throw notFound();
      return ok({ data: { data: stored.data, metadata: versionMetadata(secret, version) } });
    },
  };
}

function writeData(context: DevServerContext, engine: KvEngine, key: string): Route {
  return {
    write: ({ body }) => {
      if (key === '' || key.endsWith('/')) throw badRequest(`invalid secret path "${key}"`);
      const data = body['data'];
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw badRequest('no data provided');
      }
      const existing = engine.secrets[key];
      const currentVersion = existing?.currentVersion ?? 0;
      const cas = (body['options'] as { cas?: unknown } | undefined)?.cas;
      if (cas !== undefined && cas !== null) {
        // Check-and-set: the write names the version it read (0 for "must not exist yet").
        if (typeof cas !== 'number' || !Number.isInteger(cas)) {
          throw badRequest('"cas" must be an integer');
        }
        if (cas !== currentVersion) {
          throw badRequest('check-and-set parameter did not match the current version');
        }
      }
      const now = new Date(context.now()).toISOString();
      const secret: KvSecret = existing ?? {
        createdTime: now,
        updatedTime: now,
        currentVersion: 0,
        oldestVersion: 0,
        versions: dict(),
      };
      const version = currentVersion + 1;
      secret.versions[version] = { data: data as Dict<unknown>, createdTime: now };
      secret.currentVersion = version;
      secret.updatedTime = now;
      const kept = Object.keys(secret.versions).map(Number);
      if (kept.length > MAX_VERSIONS) {
        for (const old of kept.sort((a, b) => a - b).slice(0, kept.length - MAX_VERSIONS)) {
          delete secret.versions[old];
        }
        secret.oldestVersion = version - MAX_VERSIONS + 1;
      }
      engine.secrets[key] = secret;
      return ok({ data: versionMetadata(secret, version) });
    },
  };
}

function metadata(engine: KvEngine, key: string): Route {
  return {
    read: () => {
      const secret = engine.secrets[key];
      if (!secret) throw notFound();
      const versions: Record<string, unknown> = {};
      for (const [version, stored] of Object.entries(secret.versions)) {
        versions[version] = {
          created_time: stored.createdTime,
          deletion_time: '',
          destroyed: false,
        };
      }
      return ok({
        data: {
          cas_required: false,
          created_time: secret.createdTime,
          current_version: secret.currentVersion,
          custom_metadata: null,
          delete_version_after: '0s',
          max_versions: 0,
          oldest_version: secret.oldestVersion,
          updated_time: secret.updatedTime,
          versions,
        },
      });
    },
    // The children of a folder: keys below it, and sub-folders with a trailing slash.
    list: () => {
      const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
      const keys = new Set<string>();
      for (const stored of Object.keys(engine.secrets)) {
        if (!stored.startsWith(prefix)) continue;
        const rest = stored.slice(prefix.length);
        const slash = rest.indexOf('/');
        keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
      }
      if (keys.size === 0) throw notFound();
      return ok({ data: { keys: [...keys].sort() } });
    },
    // Removes the key with every version, as Vault's metadata delete does.
    delete: () => {
      delete engine.secrets[key];
      return noContent;
    },
  };
}

/** KV version 2 under a mount: `<mount>data/<key>` and `<mount>metadata/<key>`. */
export function kvRoute(
  context: DevServerContext,
  engine: KvEngine,
  rest: string,
): Route | undefined {
  if (rest.startsWith('data/')) {
    const key = rest.slice('data/'.length);
    return {
      ...readData(engine, key),
      ...writeData(context, engine, key),
      exists: () => engine.secrets[key] !== undefined,
    };
  }
  if (rest === 'metadata' || rest.startsWith('metadata/')) {
    return metadata(engine, rest.slice('metadata/'.length));
  }
  return undefined;
}
