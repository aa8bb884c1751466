import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { VaultLog } from './log.js';
import { dict, type AuditDevice, type Dict, type TokenEntry } from './store.js';
import { badRequest, VaultError } from './vault-response.js';

/**
 * Vault's file audit device, as `sys/audit` enables it: one JSON line per request and one
 * per response, written before the request is served and before the answer leaves. Every
 * string a request or response carries (tokens, secret IDs, secret values) is replaced by
 * `hmac-sha256:<hex>`, keyed with the device's own salt (Vault's `GetIdentifiedHMAC`), so the
 * log proves who did what without holding a credential; `sys/audit-hash/<path>` gives the
 * hash of a known value to search for. Paths, operations, policies, token metadata and
 * numbers stay readable, as in Vault.
 *
 * As in Vault (https://developer.hashicorp.com/vault/docs/audit), once a device is enabled
 * a request that no device could record is refused (500) rather than served unaudited.
 */

/** Vault's `salt.GetIdentifiedHMAC`: the HMAC type, a colon, the hex HMAC-SHA256. */
export function identifiedHmac(salt: string, value: string): string {
  return `hmac-sha256:${createHmac('sha256', salt).update(value).digest('hex')}`;
}

/** Every string inside `value` hashed, map keys kept (Vault's `HashStructure`). */
export function hashStrings(value: unknown, hash: (text: string) => string): unknown {
  if (typeof value === 'string') return hash(value);
  if (Array.isArray(value)) return value.map((item) => hashStrings(item, hash));
  if (value !== null && typeof value === 'object') {
    const copy = dict<unknown>();
    for (const [key, item] of Object.entries(value)) copy[key] = hashStrings(item, hash);
    return copy;
  }
  return value;
}

/** Where a request landed: Vault reports the mount in every entry. */
export interface AuditMount {
  point: string;
  type: string;
  accessor: string;
}

/** One request as the audit log sees it. */
export interface AuditedRequest {
  id: string;
  /** Vault's logical operation: read, list, create, update or delete. */
  operation: string;
  path: string;
  data: Dict<unknown>;
  /** The token the caller presented, valid or not (logged hashed, as Vault does). */
  clientToken?: string;
  /** The token's entry, once it authenticated. */
  token?: TokenEntry;
  mount?: AuditMount;
  remoteAddress?: string;
  remotePort?: number;
}

/** What the handler answered: a body (its `auth` and `data` are logged, hashed) or an error. */
export type AuditedOutcome = { body: unknown } | { error: VaultError };

interface Sink {
  write(line: string): void;
  close(): void;
}

/** The file audit device's options the dev server takes, checked as Vault checks them. */
interface FileOptions {
  filePath: string;
  /** `null`: leave the file's mode alone (Vault's `mode: "0000"`). */
  mode: number | null;
  skipTest: boolean;
}

const ENTERPRISE_OPTIONS = ['filter', 'exclude', 'fallback'];

function fileOptions(options: Dict<string>): FileOptions {
  // `path` is the option's name before Vault 0.8, still accepted.
  const filePath = (options['file_path'] ?? options['path'] ?? '').trim();
  if (!filePath) throw badRequest('"file_path" is required: invalid configuration');
  let mode: number | null = 0o600;
  const rawMode = options['mode'];
  if (rawMode !== undefined) {
    if (!/^[0-7]{1,4}$/.test(rawMode)) {
      throw badRequest(`unable to parse "mode" ${JSON.stringify(rawMode)}: not octal`);
    }
    mode = parseInt(rawMode, 8);
    // Refused since Vault 1.20.1 (CVE-2025-6000): an audit file must not be executable.
    if (mode & 0o111) throw badRequest('file audit devices cannot use an executable file mode');
    if (mode === 0) mode = null;
  }
  const enterprise = ENTERPRISE_OPTIONS.filter((name) => options[name]);
  if (enterprise.length > 0) {
    throw badRequest(`enterprise-only options were supplied (${enterprise.join(', ')})`);
  }
  // Since Vault 1.20.1 (CVE-2025-6000) `prefix` needs `allow_audit_log_prefixing` in the
  // server's configuration, which this server never has.
  if (options['prefix']) {
    throw badRequest('the "prefix" option requires allow_audit_log_prefixing, which is not set');
  }
  const format = options['format'] ?? 'json';
  if (format !== 'json') {
    throw badRequest(
      `vault-dev-server writes only the "json" format, not ${JSON.stringify(format)}`,
    );
  }
  // Vault takes these; the dev server does not, since each would put credentials in the
  // log in clear (log_raw, hmac_accessor) or is not implemented (elide_list_responses).
  for (const [name, unsafe] of [
    ['log_raw', 'true'],
    ['hmac_accessor', 'false'],
    ['elide_list_responses', 'true'],
  ] as const) {
    if (options[name]?.toLowerCase() === unsafe) {
      throw badRequest(`vault-dev-server does not implement ${name}=${unsafe}`);
    }
  }
  return { filePath, mode, skipTest: options['skip_test'] === 'true' };
}

function openSink({ filePath, mode }: FileOptions): Sink {
  const special = filePath.toLowerCase();
  if (special === 'stdout') {
    return { write: (line) => void process.stdout.write(line), close: () => undefined };
  }
  if (special === 'discard') return { write: () => undefined, close: () => undefined };
  fs.mkdirSync(path.dirname(filePath), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(filePath, 'a', mode ?? 0o600);
  if (mode !== null) fs.fchmodSync(fd, mode);
  let open = true;
  return {
    // Synchronous, so a line is in the file before the request is served or answered.
    write: (line) => void fs.writeSync(fd, line),
    close: () => {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}

/** Go's `omitempty`: drops absent, empty and zero fields, as Vault's JSON entries do. */
function compact(fields: Dict<unknown>): Dict<unknown> {
  const out = dict<unknown>();
  for (const [key, value] of Object.entries(fields)) {
    const empty =
      value === undefined ||
      value === null ||
      value === '' ||
      value === 0 ||
      value === false ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
    if (!empty) out[key] = value;
  }
  return out;
}

/** RFC 3339 to the second, as Vault writes `token_issue_time`. */
const rfc3339 = (epochMs: number) => new Date(epochMs).toISOString().replace(/\.\d+Z$/, 'Z');

/** The audit devices of one dev server: enabled, listed and disabled through `sys/audit`. */
export class AuditBroker {
  private readonly sinks = new Map<string, Sink>();

  constructor(
    private readonly devices: Dict<AuditDevice>,
    private readonly now: () => number,
    private readonly log: VaultLog,
  ) {
    // Re-opened at start, as Vault re-opens its devices at unseal. One that cannot be opened
    // fails every write, so requests are refused rather than served unaudited.
    for (const [mountPath, device] of Object.entries(devices)) {
      try {
        this.sinks.set(mountPath, openSink(fileOptions(device.options)));
      } catch (error) {
        this.log({
          level: 'error',
          event: 'audit.device-failed',
          msg: `audit device ${mountPath} cannot be opened: ${String(error)}`,
          path: mountPath,
        });
        const failure = error instanceof Error ? error : new Error(String(error));
        this.sinks.set(mountPath, {
          write: () => {
            throw failure;
          },
          close: () => undefined,
        });
      }
    }
  }

  /** `GET sys/audit`: path → type, description, options (never the salt), local. */
  list(): Dict<unknown> {
    const table = dict<unknown>();
    for (const [mountPath, device] of Object.entries(this.devices)) {
      table[mountPath] = {
        type: device.type,
        description: device.description,
        options: device.options,
        local: device.local,
        path: mountPath,
      };
    }
    return table;
  }

  /** `PUT sys/audit/<path>`: Vault's checks in Vault's order, then a test entry. */
  enable(
    mountPath: string,
    request: { type: string; description: string; options: Dict<string>; local: boolean },
  ): void {
    const taken = Object.keys(this.devices).find(
      (other) => other.startsWith(mountPath) || mountPath.startsWith(other),
    );
    if (taken) throw badRequest('path already in use');
    if (request.type !== 'file') {
      if (request.type === 'socket' || request.type === 'syslog') {
        throw badRequest(
          `vault-dev-server implements only the "file" audit device, not "${request.type}"`,
        );
      }
      throw badRequest(`unknown backend type: ${JSON.stringify(request.type)}`);
    }
    const options = fileOptions(request.options);
    let sink: Sink;
    try {
      sink = openSink(options);
    } catch (error) {
      throw badRequest(
        `file sink creation failed for path ${JSON.stringify(options.filePath)}: ${(error as Error).message}`,
      );
    }
    const device: AuditDevice = {
      type: 'file',
      description: request.description,
      options: request.options,
      local: request.local,
      accessor: `audit_file_${randomBytes(4).toString('hex')}`,
      salt: randomUUID(),
    };
    if (!options.skipTest) {
      // Vault writes a test entry through a new device and refuses it if the write fails.
      try {
        sink.write(
          this.line(device, 'request', {
            id: randomUUID(),
            operation: 'update',
            path: 'sys/audit/test',
            data: dict(),
          }),
        );
      } catch (error) {
        sink.close();
        throw badRequest(`audit backend failed test message: ${(error as Error).message}`);
      }
    }
    this.devices[mountPath] = device;
    this.sinks.set(mountPath, sink);
  }

  /** `DELETE sys/audit/<path>`: Vault answers 204 whether or not it was enabled. */
  disable(mountPath: string): boolean {
    const existed = mountPath in this.devices;
    delete this.devices[mountPath];
    this.sinks.get(mountPath)?.close();
    this.sinks.delete(mountPath);
    return existed;
  }

  /** `sys/audit-hash/<path>`: the hash this device writes for `input`. */
  hash(mountPath: string, input: string): string {
    const device = this.devices[mountPath];
    if (!device) throw badRequest(`unknown audit backend ${mountPath}`);
    return identifiedHmac(device.salt, input);
  }

  get enabled(): boolean {
    return Object.keys(this.devices).length > 0;
  }

  /**
   * Records a request before it is served. An `error` (refused token or policy) is recorded
   * with it, as Vault does, and the request goes no further. Throws 500 when devices are
   * enabled and none recorded it.
   */
  logRequest(request: AuditedRequest, error?: VaultError): void {
    this.broadcast((device) =>
      this.line(device, 'request', request, error ? { error: describe(error) } : undefined),
    );
  }

  /** Records the answer before it is sent; throws 500 when no device recorded it. */
  logResponse(request: AuditedRequest, outcome: AuditedOutcome): void {
    this.broadcast((device) => this.line(device, 'response', request, outcome));
  }

  close(): void {
    for (const sink of this.sinks.values()) sink.close();
    this.sinks.clear();
  }

  private broadcast(format: (device: AuditDevice) => string): void {
    if (!this.enabled) return;
    let recorded = 0;
    for (const [mountPath, device] of Object.entries(this.devices)) {
      try {
        this.sinks.get(mountPath)!.write(format(device));
        recorded += 1;
      } catch (error) {
        this.log({
          level: 'error',
          event: 'audit.write-failed',
          msg: `audit device ${mountPath} failed to record: ${String(error)}`,
          path: mountPath,
        });
      }
    }
    if (recorded === 0) throw new VaultError(500, ['internal error']);
  }

  private line(
    device: AuditDevice,
    type: 'request' | 'response',
    request: AuditedRequest,
    outcome?: AuditedOutcome | { error: string },
  ): string {
    const hash = (text: string) => identifiedHmac(device.salt, text);
    const token = request.token;
    const auth = compact({
      client_token: token && request.clientToken ? hash(request.clientToken) : undefined,
      accessor: token ? hash(token.accessor) : undefined,
      display_name: token?.displayName,
      policies: token?.policies,
      token_policies: token?.policies,
      metadata: token?.meta ?? undefined,
      token_type: token ? 'service' : 'default',
      token_ttl: token?.creationTtl,
      token_issue_time: token && token.creationTime ? rfc3339(token.creationTime) : undefined,
    });
    const entryRequest = compact({
      id: request.id,
      client_token: request.clientToken ? hash(request.clientToken) : undefined,
      client_token_accessor: token ? hash(token.accessor) : undefined,
      operation: request.operation,
      mount_point: request.mount?.point,
      mount_type: request.mount?.type,
      mount_accessor: request.mount?.accessor,
      namespace: { id: 'root' },
      path: request.path,
      data: hashStrings(request.data, hash),
      remote_address: request.remoteAddress,
      remote_port: request.remotePort,
    });
    let error: string | undefined;
    let response: Dict<unknown> | undefined;
    if (outcome && 'error' in outcome) {
      error = typeof outcome.error === 'string' ? outcome.error : describe(outcome.error);
    }
    if (type === 'response') {
      const body = outcome && 'body' in outcome ? outcome.body : undefined;
      const envelope = (body ?? {}) as { auth?: unknown; data?: unknown; warnings?: unknown };
      response = compact({
        mount_point: request.mount?.point,
        mount_type: request.mount?.type,
        mount_accessor: request.mount?.accessor,
        auth: responseAuth(envelope.auth, hash),
        data: envelope.data ? hashStrings(envelope.data, hash) : undefined,
        warnings: envelope.warnings,
      });
    }
    // Vault's field order, time first for log shippers; a response entry always has `response`.
    const entry = {
      time: new Date(this.now()).toISOString(),
      auth,
      ...(error && { error }),
      request: entryRequest,
      ...(response && { response }),
      type,
    };
    return `${JSON.stringify(entry)}\n`;
  }
}

function describe(error: VaultError): string {
  return error.errors.join('; ') || `HTTP ${error.status}`;
}

/** A login's `auth` block as Vault audits it: token and accessor hashed, the rest readable. */
function responseAuth(raw: unknown, hash: (text: string) => string): Dict<unknown> | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const auth = raw as Dict<unknown>;
  const text = (field: string) => (typeof auth[field] === 'string' ? (auth[field] as string) : '');
  return compact({
    client_token: text('client_token') ? hash(text('client_token')) : undefined,
    accessor: text('accessor') ? hash(text('accessor')) : undefined,
    display_name: auth['display_name'],
    policies: auth['policies'],
    token_policies: auth['token_policies'],
    metadata: auth['metadata'],
    num_uses: auth['num_uses'],
    token_type: auth['token_type'],
    token_ttl: auth['lease_duration'],
  });
}
