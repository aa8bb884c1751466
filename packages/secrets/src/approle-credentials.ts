import fs from 'node:fs';
import path from 'node:path';

export interface AppRoleCredentials {
  roleId: string;
  secretId: string;
}

/**
 * Where a service's AppRole credentials are delivered out of band by the bootstrap:
 * `$CITADEL_HOME/vault/<service>/{role_id,secret_id}` locally, a per-service volume in
 * docker-compose. Only that service's process reads them.
 */
export function appRoleDir(home: string, service: string): string {
  return path.join(home, 'vault', service);
}

export function readAppRoleCredentials(dir: string): AppRoleCredentials {
  const read = (name: string) => {
    const file = path.join(dir, name);
    try {
      return fs.readFileSync(file, 'utf8').trim();
    } catch {
      throw new Error(
        `no AppRole ${name} at ${file}: the Vault bootstrap delivers it (npm start runs it)`,
      );
    }
  };
  return { roleId: read('role_id'), secretId: read('secret_id') };
}
