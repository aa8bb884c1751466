import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import { allowed, type Policy } from './acl.js';
import { AuditBroker, type AuditedRequest } from './audit.js';
import { DatabaseRotations } from './database-engine.js';
import type { Capability } from './hcl-policy.js';
import { listMethodFront } from './list-method.js';
import { jsonLineLog, type VaultLog } from './log.js';
import { assertLoopbackHost, isLoopbackHost, NonLoopbackBindError } from './loopback.js';
import { PolicyBook } from './policies.js';
import { DevSeal, SEALED_PATHS } from './seal.js';
import { mountOf, resolveRoute, type DevServerContext, type Route } from './routes/index.js';
import {
  initModeOf,
  parseJson,
  VaultStore,
  type Dict,
  type InitMode,
  type TokenEntry,
} from './store.js';
import { tlsFront, type TlsFiles } from './tls-front.js';
import { newToken, rootTokenEntry, sha256 } from './tokens.js';
import {
  aclDenied,
  badRequest,
  invalidToken,
  noHandler,
  unsupportedOperation,
  VaultError,
  type VaultReply,
} from './vault-response.js';

interface ListenerOptions {
  /** A loopback address (127.0.0.0/8, ::1, localhost); anything else is refused. */
  host?: string;
  /** 0 lets the OS pick; the server reports the real port. */
  port?: number;
  /** JSON file that keeps the state across restarts; without it, state lives in memory only. */
  stateFile?: string;
  log?: VaultLog;
  /** Epoch ms. Tests inject a clock to exercise token and secret-ID lifetimes without sleeping. */
  now?: () => number;
  /**
   * Serve HTTPS only, TLS 1.2 or later, with this certificate and key (Vault's listener
   * `tls_cert_file`/`tls_key_file`); plain HTTP gets Go's 400. Without it: plain HTTP.
   */
  tls?: TlsFiles;
}

/** The default: a Vault initialised before it starts, with a root token and key given or made. */
export interface VaultDevServerOptions extends ListenerOptions {
  uninitialized?: false;
  /** The root token to accept; a random one is generated when absent. */
  rootToken?: string;
  /** Start sealed, as a real Vault does after every restart (default: unsealed). */
  sealed?: boolean;
  /** Base64 unseal key (one share); a random one when absent. */
  unsealKey?: string;
}

/**
 * A fresh Vault: uninitialised, with no root token and no unseal key until `sys/init` makes
 * them (and hands them to its caller only). With a state file that records an earlier
 * `sys/init`, it starts initialised and sealed, as Vault does after every restart. A state
 * file written in the default mode is refused, and the reverse.
 */
export interface UninitializedVaultDevServerOptions extends ListenerOptions {
  uninitialized: true;
}

export interface RunningVaultDevServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`): the VAULT_ADDR to give clients. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface VaultDevServer extends RunningVaultDevServer {
  rootToken: string;
  /** The one key share that unseals it (`sys/unseal`), as `sys/init` gives it: base64. */
  unsealKey: string;
}

type Verb = 'read' | 'list' | 'write' | 'delete';

/** Vault's own limit is 32 MiB; Citadel's secrets are a few hundred bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Go's strconv.ParseBool truths, which Vault applies to `?list=` (node-vault sends `list=1`). */
const TRUE_VALUES = ['1', 't', 'T', 'true', 'TRUE', 'True'];

function verbOf(method: string | undefined, query: URLSearchParams): Verb {
  switch (method) {
    case 'GET':
      return TRUE_VALUES.includes(query.get('list') ?? '') ? 'list' : 'read';
    case 'POST':
    case 'PUT':
      return 'write';
    case 'DELETE':
      return 'delete';
    default:
      throw unsupportedOperation();
  }
}

async function readBody(request: IncomingMessage): Promise<Dict<unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new VaultError(413, ['request body too large']);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return parseJson('{}') as Dict<unknown>;
  let body: unknown;
  try {
    body = parseJson(text);
  } catch (error) {
    throw badRequest(`failed to parse JSON input: ${(error as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('failed to parse JSON input: expected a JSON object');
  }
  return body as Dict<unknown>;
}

function send(response: ServerResponse, reply: VaultReply): void {
  // See list-method.ts: each request must arrive on a fresh connection.
  response.setHeader('Connection', 'close');
  response.setHeader('Cache-Control', 'no-store');
  if (reply.body === undefined) {
    response.writeHead(reply.status).end();
    return;
  }
  if (reply.contentType) {
    response.writeHead(reply.status, { 'Content-Type': reply.contentType }).end(reply.body);
    return;
  }
  response
    .writeHead(reply.status, { 'Content-Type': 'application/json' })
    .end(JSON.stringify(reply.body));
}

function listen(server: Server, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The root token and unseal key of the default mode, as given or freshly made. */
interface PresetCredentials {
  rootToken: string;
  unsealKey: Buffer;
  sealed: boolean;
}

function presetCredentials(options: VaultDevServerOptions): PresetCredentials {
  return {
    rootToken: options.rootToken ?? newToken(),
    unsealKey:
      options.unsealKey === undefined ? randomBytes(32) : Buffer.from(options.unsealKey, 'base64'),
    sealed: options.sealed ?? false,
  };
}

/**
 * A state written in one mode cannot start the other: its root token would be either one
 * that `sys/init` never handed out or one that `sys/init` made and the caller now ignores.
 */
function assertStateMode(store: VaultStore, mode: InitMode, stateFile: string | undefined): void {
  const written = initModeOf(store.state);
  if (written === mode) return;
  throw new Error(
    written === 'sys-init'
      ? `${stateFile} belongs to a Vault initialised through sys/init; start it uninitialized`
      : `${stateFile} belongs to a Vault started with a preset root token; ` +
          'an uninitialised start needs a state file of its own',
  );
}

/**
 * Starts the development stand-in for Vault: Vault's HTTP API for KV v2, AppRole, tokens,
 * mounts and ACL policies, with policies enforced. Loopback only, never for production.
 */
export function startVaultDevServer(
  options: UninitializedVaultDevServerOptions,
): Promise<RunningVaultDevServer>;
export function startVaultDevServer(options?: VaultDevServerOptions): Promise<VaultDevServer>;
export async function startVaultDevServer(
  options: VaultDevServerOptions | UninitializedVaultDevServerOptions = {},
): Promise<VaultDevServer | RunningVaultDevServer> {
  const {
    host = '127.0.0.1',
    port = 8200,
    stateFile,
    log = jsonLineLog(),
    now = Date.now,
  } = options;
  assertLoopbackHost(host);
  const mode: InitMode = options.uninitialized === true ? 'sys-init' : 'preset';
  const preset = options.uninitialized === true ? undefined : presetCredentials(options);
  const store = stateFile ? VaultStore.open(stateFile, mode) : VaultStore.inMemory(mode);
  assertStateMode(store, mode, stateFile);
  const presetRootHash = preset && sha256(preset.rootToken);
  // In the sys-init mode the root token is whatever sys/init handed out, once it has.
  const rootHash = () => presetRootHash ?? store.state.init?.rootTokenHash;
  const rootEntry = rootTokenEntry(now());
  const initRecord = store.state.init;
  const seal = preset
    ? DevSeal.withKey(preset.unsealKey, preset.sealed)
    : initRecord
      ? DevSeal.fromKeyHash(initRecord.unsealKeyHash)
      : DevSeal.uninitialized();
  const context: DevServerContext = {
    store,
    policies: new PolicyBook(store.state.policies),
    now,
    log,
    seal,
    audit: new AuditBroker(store.state.auditDevices, now, log),
    databases: new DatabaseRotations(store, now, log, () => seal.sealed),
  };
  // Written at once: a state file we cannot write should stop the start, not the first secret.
  store.save(now());
  context.databases.start();

  function presentedToken(request: IncomingMessage): string | undefined {
    const header = request.headers['x-vault-token'];
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    return (Array.isArray(header) ? header[0] : header) ?? bearer;
  }

  function authenticate(request: IncomingMessage): { id: string; entry: TokenEntry } {
    const id = presentedToken(request);
    if (!id) throw invalidToken();
    const hash = sha256(id);
    if (hash === rootHash()) return { id, entry: rootEntry };
    const entry = store.state.tokens[hash];
    if (!entry || (entry.expireTime !== null && entry.expireTime <= now())) {
      log({
        level: 'warn',
        event: 'token.rejected',
        msg: entry ? 'expired token refused' : 'unknown token refused',
        ...(entry && { accessor: entry.accessor }),
      });
      throw invalidToken();
    }
    return { id, entry };
  }

  function authorize(
    route: Route | undefined,
    capability: Capability,
    path: string,
    entry: TokenEntry,
  ): void {
    if (entry === rootEntry) return;
    // Vault checks a LIST against the path with a trailing slash.
    const aclPath = capability === 'list' && !path.endsWith('/') ? `${path}/` : path;
    const attached = entry.policies
      .map((name) => context.policies.get(name))
      .filter((policy): policy is Policy => policy !== undefined);
    const permitted =
      allowed(attached, aclPath, capability) &&
      (!route?.sudo || allowed(attached, aclPath, 'sudo'));
    if (!permitted) {
      log({
        level: 'warn',
        event: 'acl.denied',
        msg: 'request refused by policy',
        path: aclPath,
        capability: route?.sudo ? `${capability}+sudo` : capability,
        accessor: entry.accessor,
        policies: entry.policies,
      });
      throw aclDenied();
    }
  }

  async function handle(request: IncomingMessage): Promise<VaultReply> {
    const url = new URL(request.url ?? '/', 'http://vault.invalid');
    if (!url.pathname.startsWith('/v1/')) throw noHandler(url.pathname.slice(1));
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice('/v1/'.length));
    } catch {
      throw badRequest('invalid URL encoding in path');
    }
    // URL parsing resolves literal dot segments, but not percent-encoded slashes around them
    // (`order%2F..%2Fpayment`); a policy glob must never see a path that climbs out of it.
    if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
      throw badRequest('invalid path: "." and ".." segments are not allowed');
    }
    const verb = verbOf(request.method, url.searchParams);
    const body = await readBody(request);
    // Before the token is looked at: a sealed Vault cannot read its token store.
    if (context.seal.sealed && !SEALED_PATHS.has(path)) {
      throw new VaultError(503, ['Vault is sealed']);
    }
    const route = resolveRoute(context, path);
    // Vault asks for `create` to write something new and `update` to change what exists; the
    // audit log names the same operation.
    const operation: Capability =
      verb === 'write' ? (route?.exists && !route.exists() ? 'create' : 'update') : verb;
    // Vault's raw seal and health handlers sit outside its audited request path.
    const audited: AuditedRequest | undefined = SEALED_PATHS.has(path)
      ? undefined
      : {
          id: randomUUID(),
          operation,
          path,
          data: body,
          clientToken: presentedToken(request),
          mount: mountOf(context, path),
          remoteAddress: request.socket.remoteAddress,
          remotePort: request.socket.remotePort,
        };
    let token: { id: string; entry: TokenEntry } | undefined;
    // As in Vault, the token and the ACL are checked before the route is known to exist, so a
    // restricted token cannot map the API by probing.
    if (!route?.unauthenticated) {
      try {
        token = authenticate(request);
        authorize(route, operation, path, token.entry);
      } catch (error) {
        // A refused token or policy is audited with the request, which goes no further.
        if (audited && error instanceof VaultError) {
          context.audit.logRequest({ ...audited, token: token?.entry }, error);
        }
        throw error;
      }
      if (audited && token) audited.token = token.entry;
    }
    // Before the handler runs: a request no audit device recorded is not served.
    if (audited) context.audit.logRequest(audited);
    let reply: VaultReply;
    try {
      if (!route) throw noHandler(path);
      const handler = route[verb];
      if (!handler) throw unsupportedOperation();
      reply = await handler({ path, query: url.searchParams, body, token });
    } catch (error) {
      if (audited && error instanceof VaultError) context.audit.logResponse(audited, { error });
      throw error;
    }
    if (verb === 'write' || verb === 'delete') store.save(now());
    if (audited) context.audit.logResponse(audited, { body: reply.body });
    return reply;
  }

  const http = createServer((request, response) => {
    handle(request).then(
      (reply) => send(response, reply),
      (error: unknown) => {
        if (error instanceof VaultError) {
          send(response, { status: error.status, body: { errors: error.errors } });
          return;
        }
        log({ level: 'error', event: 'request.failed', msg: String(error) });
        send(response, { status: 500, body: { errors: ['internal error'] } });
      },
    );
  });
  http.on('clientError', (_error, socket) => {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  const front = options.tls ? tlsFront(http, options.tls) : listMethodFront(http);
  const sockets = new Set<Socket>();
  front.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const close = () =>
    new Promise<void>((resolve) => {
      front.close(() => {
        context.audit.close();
        context.databases.close();
        resolve();
      });
      for (const socket of sockets) socket.destroy();
    });

  await listen(front, port, host);
  const address = front.address() as AddressInfo;
  // `localhost` is resolved by the system; make sure it really landed on loopback.
  if (!isLoopbackHost(address.address)) {
    await close();
    throw new NonLoopbackBindError(`${host} (${address.address})`);
  }
  log({
    level: 'warn',
    event: 'vault.dev-server',
    msg:
      'DEVELOPMENT ONLY: vault-dev-server is a stand-in for HashiCorp Vault, loopback only, ' +
      'with no real seal (no encryption barrier) and every secret in a plain JSON file. ' +
      'Do NOT use it in production.',
  });
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const running: RunningVaultDevServer = {
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${address.port}`,
    port: address.port,
    close,
  };
  if (!preset) return running;
  return {
    ...running,
    rootToken: preset.rootToken,
    unsealKey: preset.unsealKey.toString('base64'),
  };
}
