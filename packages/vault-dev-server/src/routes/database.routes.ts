import {
  credentialTtl,
  DatabaseEngineError,
  changePassword,
  generateDatabasePassword,
  roleAllowed,
  verifyConnection,
} from '../database-engine.js';
import {
  dict,
  type DatabaseConnection,
  type DatabaseEngine,
  type DatabaseStaticRole,
  type Dict,
} from '../store.js';
import { badRequest, noContent, notFound, ok, VaultError } from '../vault-response.js';
import {
  booleanField,
  commaListField,
  durationField,
  optionalString,
  refuseUnsupportedRestrictions,
} from './fields.js';
import type { DevServerContext, Route } from './route.js';

/** Vault's `framework.GenericNameRegex`: the names a connection or a role may have. */
const NAME = /^\w(?:[\w.-]*\w)?$/;
/** Vault's rotation queue ticks every 5 s; a shorter period could not be honoured. */
const MIN_ROTATION_PERIOD_S = 5;
const PLUGIN = 'postgresql-database-plugin';
/** Fields of `config/<name>` that are the engine's own; every other one is a connection detail. */
const CONNECTION_FIELDS = [
  'name',
  'plugin_name',
  'plugin_version',
  'allowed_roles',
  'verify_connection',
  'root_rotation_statements',
  'password_policy',
];
const PASSWORD_AUTHENTICATIONS = ['password', 'scram-sha-256'] as const;

/** Vault's answer to an error a handler returns rather than reports (500, the error's text). */
const internalError = (message: string) => new VaultError(500, [message]);

export function newDatabaseEngine(fields: {
  accessor: string;
  uuid: string;
  description: string;
}): DatabaseEngine {
  return { type: 'database', ...fields, connections: dict(), staticRoles: dict() };
}

/** A `TypeStringSlice`: an array of strings, or one string (one statement). */
function stringList(body: Dict<unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw badRequest(`"${field}" must be a list of strings`);
  }
  return items.filter((item: string) => item !== '');
}

function listed(names: string[]) {
  if (names.length === 0) throw notFound();
  const keys = names.sort();
  return ok({ data: { keys } });
}

/** `connection_url` as Vault shows it: a literal password in it is masked, templates are not. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password || parsed.password === encodeURIComponent('{{password}}')) return url;
    parsed.password = 'xxxxx';
    return parsed.toString();
  } catch {
    return url;
  }
}

function connectionRoute(context: DevServerContext, engine: DatabaseEngine, name: string): Route {
  return {
    exists: () => engine.connections[name] !== undefined,
    read: () => {
      const connection = engine.connections[name];
      if (!connection) throw notFound();
      const details: Dict<unknown> = { ...connection.details };
      // The root password is never returned, as in Vault.
      delete details['password'];
      details['connection_url'] = redacted(connection.connectionUrl);
      return ok({
        data: {
          allowed_roles: connection.allowedRoles,
          connection_details: details,
          password_policy: '',
          plugin_name: connection.pluginName,
          plugin_version: '',
          root_credentials_rotate_statements: connection.rootRotationStatements,
          verify_connection: connection.verifyConnection,
        },
      });
    },
    write: async ({ body }) => {
      if (!NAME.test(name)) throw badRequest('empty name attribute given');
      const existing = engine.connections[name];
      refuseUnsupportedRestrictions(body, ['password_policy']);
      const pluginName = optionalString(body, 'plugin_name') ?? existing?.pluginName ?? '';
      if (pluginName === '') throw badRequest('empty plugin name');
      if (pluginName !== PLUGIN) {
        throw badRequest(
          `error creating database object: vault-dev-server has only the ${PLUGIN}, not "${pluginName}"`,
        );
      }
      const given: Dict<unknown> = dict();
      for (const [field, value] of Object.entries(body)) {
        if (!CONNECTION_FIELDS.includes(field)) given[field] = value;
      }
      // On update, the details given are merged into the stored ones, as in Vault.
      const details: Dict<unknown> = existing
        ? { ...existing.details, password: existing.password, ...given }
        : given;
      const detail = (field: string) => {
        const value = details[field];
        if (value === undefined || value === null) return '';
        if (typeof value !== 'string') throw badRequest(`"${field}" must be a string`);
        return value;
      };
      const connectionUrl = detail('connection_url');
      if (connectionUrl === '') {
        throw badRequest('error creating database object: connection_url cannot be empty');
      }
      const authentication = detail('password_authentication') || 'password';
      if (!(PASSWORD_AUTHENTICATIONS as readonly string[]).includes(authentication)) {
        throw badRequest(
          `error creating database object: '${authentication}' is not a valid password authentication type`,
        );
      }
      const password = detail('password');
      delete details['password'];
      const connection: DatabaseConnection = {
        pluginName: PLUGIN,
        connectionUrl,
        username: detail('username'),
        password,
        passwordAuthentication: authentication as DatabaseConnection['passwordAuthentication'],
        allowedRoles: commaListField(body, 'allowed_roles') ?? existing?.allowedRoles ?? [],
        rootRotationStatements:
          stringList(body, 'root_rotation_statements') ?? existing?.rootRotationStatements ?? [],
        verifyConnection: booleanField(body, 'verify_connection') ?? true,
        details,
      };
      if (connection.verifyConnection) {
        try {
          await verifyConnection(connection);
        } catch (error) {
          throw badRequest(
            `error creating database object: error verifying connection: ${(error as Error).message}`,
          );
        }
      }
      engine.connections[name] = connection;
      context.log({
        level: 'info',
        event: 'database.connection.configured',
        msg: `database connection ${name} configured`,
        connection: name,
      });
      let literalPassword = false;
      try {
        literalPassword = redacted(connectionUrl) !== connectionUrl;
      } catch {
        // not a URL: nothing to warn about
      }
      if (!literalPassword) return noContent;
      return ok({
        warnings: [
          'Password found in connection_url, use a templated url to enable root rotation and prevent read access to password information.',
        ],
      });
    },
    delete: () => {
      delete engine.connections[name];
      return noContent;
    },
  };
}

function rotateRootRoute(engine: DatabaseEngine, name: string): Route {
  return {
    write: async () => {
      const connection = engine.connections[name];
      if (!connection) {
        throw internalError(`failed to find entry for connection with name: "${name}"`);
      }
      if (!connection.username) {
        throw internalError('unable to rotate root credentials: no username in configuration');
      }
      if (!connection.password) {
        throw internalError('unable to rotate root credentials: no password in configuration');
      }
      const password = generateDatabasePassword();
      try {
        await changePassword(
          connection,
          connection.username,
          password,
          connection.rootRotationStatements,
        );
      } catch (error) {
        throw internalError(`failed to update user: ${(error as Error).message}`);
      }
      // From now on only the engine knows the root password.
      connection.password = password;
      return noContent;
    },
  };
}

const CREDENTIAL_TYPES = ['password', 'rsa_private_key', 'client_certificate'];

function staticRoleRoute(context: DevServerContext, engine: DatabaseEngine, name: string): Route {
  return {
    exists: () => engine.staticRoles[name] !== undefined,
    read: () => {
      const role = engine.staticRoles[name];
      if (!role) throw notFound();
      return ok({
        data: {
          credential_type: 'password',
          db_name: role.dbName,
          username: role.username,
          rotation_period: role.rotationPeriod,
          rotation_statements: role.rotationStatements,
          ...(role.lastVaultRotation > 0 && {
            last_vault_rotation: new Date(role.lastVaultRotation).toISOString(),
          }),
        },
      });
    },
    write: async ({ body }) => {
      if (!NAME.test(name)) throw badRequest('empty role name attribute given');
      refuseUnsupportedRestrictions(body, [
        'rotation_schedule',
        'rotation_window',
        'credential_config',
        'skip_import_rotation',
      ]);
      const credentialType = optionalString(body, 'credential_type');
      if (credentialType !== undefined && !CREDENTIAL_TYPES.includes(credentialType)) {
        throw badRequest(`invalid credential_type "${credentialType}"`);
      }
      if (credentialType !== undefined && credentialType !== 'password') {
        throw badRequest(`vault-dev-server supports only credential_type "password"`);
      }
      const existing = engine.staticRoles[name];
      const dbName = optionalString(body, 'db_name') ?? existing?.dbName ?? '';
      if (dbName === '') throw badRequest('database name is a required field');
      // As in Vault, an update names the same username again (it cannot change).
      const username = optionalString(body, 'username') ?? '';
      if (username === '' && !existing) {
        throw badRequest('username is a required field to create a static account');
      }
      if (existing && existing.username !== username) {
        throw badRequest('cannot update static account username');
      }
      const rotationPeriod = durationField(body, 'rotation_period');
      if (rotationPeriod === undefined && !existing) {
        throw badRequest(
          'one of rotation_schedule or rotation_period must be provided to create a static account',
        );
      }
      if (rotationPeriod !== undefined && rotationPeriod < MIN_ROTATION_PERIOD_S) {
        throw badRequest(`rotation_period must be ${MIN_ROTATION_PERIOD_S} seconds or more`);
      }
      const rotationStatements =
        stringList(body, 'rotation_statements') ?? existing?.rotationStatements ?? [];
      if (existing) {
        existing.dbName = dbName;
        existing.rotationStatements = rotationStatements;
        if (rotationPeriod !== undefined) {
          existing.rotationPeriod = rotationPeriod;
          context.databases.schedule(engine, name, existing);
        }
        return noContent;
      }
      const role: DatabaseStaticRole = {
        dbName,
        username,
        password: '',
        rotationPeriod: rotationPeriod!,
        rotationStatements,
        lastVaultRotation: 0,
      };
      // Vault rotates the password when it takes a user over: it must know it.
      try {
        await context.databases.rotate(engine, name, role);
      } catch (error) {
        if (error instanceof DatabaseEngineError) throw internalError(error.message);
        throw error;
      }
      engine.staticRoles[name] = role;
      context.databases.schedule(engine, name, role);
      context.log({
        level: 'info',
        event: 'database.static-role.created',
        msg: `static role ${name} created for ${username}; its password rotated`,
        role: name,
      });
      return noContent;
    },
    delete: () => {
      context.databases.unschedule(engine, name);
      delete engine.staticRoles[name];
      return noContent;
    },
  };
}

function staticCredsRoute(context: DevServerContext, engine: DatabaseEngine, name: string): Route {
  return {
    read: () => {
      const role = engine.staticRoles[name];
      if (!role) throw badRequest(`unknown role: ${name}`);
      const connection = engine.connections[role.dbName];
      if (!connection) {
        throw internalError(`failed to find entry for connection with name: "${role.dbName}"`);
      }
      if (!roleAllowed(connection, name)) throw internalError(`"${name}" is not an allowed role`);
      return ok({
        data: {
          username: role.username,
          password: role.password,
          ttl: credentialTtl(role, context.now()),
          rotation_period: role.rotationPeriod,
          last_vault_rotation: new Date(role.lastVaultRotation).toISOString(),
        },
      });
    },
  };
}

function rotateRoleRoute(context: DevServerContext, engine: DatabaseEngine, name: string): Route {
  return {
    write: async () => {
      const role = engine.staticRoles[name];
      if (!role) throw badRequest('no static role found for role name');
      try {
        await context.databases.rotate(engine, name, role);
      } catch (error) {
        if (!(error instanceof DatabaseEngineError)) throw error;
        context.databases.schedule(engine, name, role, 10_000);
        throw internalError(
          `unable to finish rotating credentials; retries will continue in the background but it is also safe to retry manually: ${error.message}`,
        );
      }
      context.databases.schedule(engine, name, role);
      context.log({
        level: 'info',
        event: 'database.static-role.rotated',
        msg: `rotated the password of static role ${name} on request`,
        role: name,
      });
      return noContent;
    },
  };
}

/**
 * Vault's database secrets engine under a mount, for static roles on PostgreSQL:
 * `config/<name>`, `rotate-root/<name>`, `static-roles/<name>`, `static-creds/<name>`,
 * `rotate-role/<name>`, and the lists `config` and `static-roles`.
 */
export function databaseRoute(
  context: DevServerContext,
  engine: DatabaseEngine,
  rest: string,
): Route | undefined {
  if (rest === 'config' || rest === 'config/') {
    return { list: () => listed(Object.keys(engine.connections)) };
  }
  if (rest === 'static-roles' || rest === 'static-roles/') {
    return { list: () => listed(Object.keys(engine.staticRoles)) };
  }
  const match = /^(config|rotate-root|static-roles|static-creds|rotate-role)\/([^/]+)$/.exec(rest);
  if (!match) return undefined;
  const [, kind, name] = match as unknown as [string, string, string];
  switch (kind) {
    case 'config':
      return connectionRoute(context, engine, name);
    case 'rotate-root':
      return rotateRootRoute(engine, name);
    case 'static-roles':
      return staticRoleRoute(context, engine, name);
    case 'static-creds':
      return staticCredsRoute(context, engine, name);
    default:
      return rotateRoleRoute(context, engine, name);
  }
}
