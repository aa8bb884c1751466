import type vault from 'node-vault';

type Client = ReturnType<typeof vault>;

export interface AuditDeviceSettings {
  /** The device's path under `sys/audit/` (Vault's default for a file device: `file`). */
  path: string;
  /**
   * Vault's `file_path`: a file on the Vault server (appended to, mode 0600), or `stdout`,
   * which a container runtime collects (Vault's own advice for containers).
   */
  filePath: string;
}

/**
 * `file/` to Vault's stdout: in compose that is `docker compose logs vault`; in Kubernetes,
 * the cluster's log pipeline; in local mode, the development server's log
 * (`$CITADEL_HOME/logs/vault.log`, where the launcher collects its output).
 */
export const AUDIT_DEFAULTS: Readonly<AuditDeviceSettings> = { path: 'file', filePath: 'stdout' };

/** A setting or a device in place that the bootstrap will not go on with; Vault said nothing wrong. */
export class AuditDeviceError extends Error {
  override name = 'AuditDeviceError';
  constructor(reason: string) {
    super(`vault: sys/audit: ${reason}`);
  }
}

const DESCRIPTION = 'Citadel: every request and response, secrets as salted HMACs';

/** Go's strconv.ParseBool, with which Vault reads the device's boolean options. */
const GO_TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

interface ListedDevice {
  type?: string;
  options?: Record<string, string> | null;
}

/**
 * Makes sure Vault records every request in a file audit device, through Vault's HTTP API
 * (`GET sys/audit`, `PUT sys/audit/<path>`; both need `sudo` on `sys/audit` and
 * `sys/audit/*`). Returns whether it enabled one.
 *
 * A device already at the path with the same type and `file_path` is kept. One that differs
 * is kept too, and the bootstrap stops: replacing it means disabling it first, a gap in the
 * audit trail, and it may be an operator's. Likewise for one that writes tokens or secrets
 * in clear (`log_raw`, `hmac_accessor=false`). Vault itself refuses to enable a second
 * device at a taken path.
 */
export async function ensureAuditDevice(
  client: Client,
  settings: AuditDeviceSettings,
): Promise<boolean> {
  const devicePath = settings.path.replace(/^\/+|\/+$/g, '');
  const filePath = settings.filePath.trim();
  if (!devicePath) throw new AuditDeviceError('the audit device path is empty');
  if (!filePath) throw new AuditDeviceError('the audit file path is empty (a file, or "stdout")');
  // Vault's `discard` writes nothing: an audit device that keeps no record.
  if (filePath.toLowerCase() === 'discard') {
    throw new AuditDeviceError(
      'the audit file path "discard" keeps no record: give a file, or "stdout"',
    );
  }
  type Table = Record<string, ListedDevice>;
  const listed = (await client.read('sys/audit')) as Table & { data?: Table };
  const existing = (listed.data ?? listed)[`${devicePath}/`];
  if (!existing) {
    await client.write(`sys/audit/${devicePath}`, {
      type: 'file',
      description: DESCRIPTION,
      options: { file_path: filePath },
    });
    return true;
  }
  const options = existing.options ?? {};
  const current = options['file_path'] ?? options['path'];
  if (existing.type !== 'file' || current !== filePath) {
    throw new AuditDeviceError(
      `audit device ${devicePath}/ is already enabled (type ${existing.type ?? '?'}, ` +
        `file_path ${current ?? '?'}), not a file device writing to ${filePath}. It is kept: ` +
        `replacing it would leave a gap in the audit trail. Set VAULT_AUDIT_FILE_PATH=${current ?? '?'}, ` +
        `or disable it by hand (vault audit disable ${devicePath}/) and run the bootstrap again`,
    );
  }
  if (
    GO_TRUE.includes(options['log_raw'] ?? '') ||
    GO_FALSE.includes(options['hmac_accessor'] ?? '')
  ) {
    throw new AuditDeviceError(
      `audit device ${devicePath}/ writes tokens or secrets in clear (log_raw or ` +
        `hmac_accessor=false): disable it (vault audit disable ${devicePath}/) and run the bootstrap again`,
    );
  }
  return false;
}
