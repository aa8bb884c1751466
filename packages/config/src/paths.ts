import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's place in `packages/config/dist`. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where Citadel keeps its local state: `$CITADEL_HOME`, default `.citadel/` at the repo root. */
export function citadelHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.CITADEL_HOME || path.join(REPO_ROOT, '.citadel'));
}

export interface PkiPaths {
  dir: string;
  caCert: string;
  caKey: string;
  cert(service: string): string;
  key(service: string): string;
}

export function pkiPaths(home: string): PkiPaths {
  const dir = path.join(home, 'pki');
  return {
    dir,
    caCert: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    cert: (service) => path.join(dir, `${service}.pem`),
    key: (service) => path.join(dir, `${service}-key.pem`),
  };
}

export const demoUsersFile = (home: string): string => path.join(home, 'demo-users.json');
export const dataDir = (home: string, service: string): string => path.join(home, 'data', service);
